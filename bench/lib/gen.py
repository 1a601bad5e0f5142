#!/usr/bin/env python3
"""Generate one benchmark workload: FILES files of SIZE bytes below DIR.

usage: gen.py DIR FILES SIZE LAYOUT
  LAYOUT  nested: three folder levels (a00/b0/c0/...), about 10-20 files a folder
          flat:   folders of 200 files (d000/...)
          tree:   folders of 100 files two levels deep (t000/u0/...), for big trees
The content is pseudo-random (seeded, so runs are comparable) and different in
every file, so no tool or server can deduplicate it.  Prints "FILES BYTES".
"""
import os
import random
import sys


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    root, files, size, layout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rng = random.Random(20240601 + files)
    block = rng.randbytes(min(max(size, 1), 1 << 20) + 4096)
    made = set()
    total = 0
    for i in range(files):
        if layout == 'nested':
            d = os.path.join(root, 'a%02d' % (i % 10), 'b%d' % (i // 10 % 4), 'c%d' % (i // 40 % 3))
        elif layout == 'flat':
            d = os.path.join(root, 'd%03d' % (i // 200))
        elif layout == 'tree':
            d = os.path.join(root, 't%03d' % (i // 1000), 'u%d' % (i // 100 % 10))
        else:
            sys.exit('gen.py: unknown layout %r' % layout)
        if d not in made:
            os.makedirs(d, exist_ok=True)
            made.add(d)
        path = os.path.join(d, 'f%06d.bin' % i)
        with open(path, 'wb') as f:
            if size <= 1 << 20:
                # a distinct window of the block plus the index: unique per file
                off = i % 4096
                head = i.to_bytes(8, 'little')
                body = block[off:off + size]
                f.write((head + body)[:size])
            else:
                left = size
                chunk = 1 << 20
                n = 0
                while left > 0:
                    piece = rng.randbytes(min(chunk, left))
                    f.write(piece)
                    left -= len(piece)
                    n += 1
        total += size
    print(files, total)


if __name__ == '__main__':
    main()
