# cmake -DIN=k8s/gpu-images.yaml -DOUT=gpu_images_data.c -P embed.cmake
# Writes the image table into a C array so that dm-gpu needs no data file at
# run time; the table is still parsed by the one YAML loader (dm/yaml.h).
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n\t" bytes "${bytes}")
file(WRITE "${OUT}.tmp"
  "/* generated from k8s/gpu-images.yaml by tools/dm-gpu/embed.cmake */\n"
  "#include <stddef.h>\n"
  "const unsigned char dm_gpu_images_yaml[] = {\n\t${bytes}0x00\n};\n"
  "const size_t dm_gpu_images_yaml_len = ${len};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
