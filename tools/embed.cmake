# embed.cmake: turn a data file into a C array (NUL-terminated), so the catalogs are built into
# the binary.  Usage: cmake -DIN=file.json -DOUT=file.c -DSYMBOL=name -P embed.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}" "/* Generated from ${IN} by tools/embed.cmake; do not edit. */\n"
     "const char ${SYMBOL}[] = {\n${bytes}0x00};\n")
