# The C code keeps the layout of .clang-format (clang-format 14, Debian 12's; installed by
# scripts/install-deps.sh test): every tracked .c and .h, the fixtures' aside.
add_test(NAME style_clang_format
  COMMAND bash -c "command -v clang-format >/dev/null || { echo 'clang-format not found: scripts/install-deps.sh test'; exit 1; }; cd \"$0\" && files=$(git ls-files '*.c' '*.h' '*.cu' | grep -v '^tests/fixtures/') && clang-format --dry-run --Werror $files"
    ${CMAKE_SOURCE_DIR})
set_tests_properties(style_clang_format PROPERTIES LABELS unit TIMEOUT 120)
