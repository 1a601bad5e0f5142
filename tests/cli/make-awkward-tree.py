#!/usr/bin/env python3
"""Writes the awkward tree of dm-seed's acceptance test into DIR: about 200 files
whose names hold spaces, +, %, #, ?, &, =, quotes, unicode and emoji, folders 10
levels deep, empty files, one file of 70 MiB (multipart) and a symlink to a file.
Contents are deterministic (seeded) so reruns write the same bytes."""
import os
import random
import sys

root = sys.argv[1]
big_mib = int(sys.argv[2]) if len(sys.argv) > 2 else 70
rng = random.Random(20261128)
names = ["plain.txt", "a b.txt", "plus+sign.csv", "per%cent.txt", "hash#tag.txt", "q?mark.txt",
         "amp&and=eq.txt", "café.txt", "日本語 ファイル.txt", "dots..txt", " lead space.txt",
         "semi;colon.txt", "quote'single.txt", "paren(1).txt", "tilde~x.txt", "comma,x.txt",
         "at@x.txt", "excl!x.txt", "dollar$x.txt", "star*x.txt", "colon:x.txt", "bracket[1].txt",
         "brace{1}.txt", "caret^x.txt", "back`tick.txt", "pipe|x.txt", "lt<gt>.txt", 'dquote"x.txt',
         "emoji-😀.txt", "tab\tname.txt"]
os.makedirs(root, exist_ok=True)
count = 0
# 10 levels deep, awkward folder names too
deep = root
for level in range(10):
    deep = os.path.join(deep, f"level {level}+é" if level % 2 else f"l{level}")
    os.makedirs(deep, exist_ok=True)
    with open(os.path.join(deep, f"file-{level}.dat"), "wb") as f:
        f.write(rng.randbytes(rng.randint(1, 5000)))
    count += 1
for i, name in enumerate(names):
    for d in ("", "sub dir", "ü/ß"):
        folder = os.path.join(root, d)
        os.makedirs(folder, exist_ok=True)
        size = 0 if i % 7 == 0 else rng.randint(1, 20000)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(rng.randbytes(size))
        count += 1
while count < 198:
    folder = os.path.join(root, "bulk", f"g{count % 9}")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"n{count:04d}.bin"), "wb") as f:
        f.write(rng.randbytes(rng.randint(0, 3000)))
    count += 1
with open(os.path.join(root, "big file.bin"), "wb") as f:
    block = rng.randbytes(1 << 20)
    for i in range(big_mib):
        f.write(bytes([i % 251]) + block[1:])
os.symlink("plain.txt", os.path.join(root, "link to plain.txt"))
print(count + 2)
