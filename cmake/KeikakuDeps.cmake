# Dependencies come from Debian packages (see scripts/deps); pkg-config finds them.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBGIT2 REQUIRED IMPORTED_TARGET libgit2>=1.5)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson>=2.13)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
# core/git/pack.c: deflate for pack objects, SHA-1 for pack and index checksums.
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules(NETTLE REQUIRED IMPORTED_TARGET nettle)
# core/git/sshsig*.c: Ed25519 for SSH signatures is nettle's public-key half, libhogweed.
pkg_check_modules(HOGWEED REQUIRED IMPORTED_TARGET hogweed)
# core/report/report_xlsx.c: the xlsx progress report (Debian's libxlsxwriter-dev).
pkg_check_modules(XLSXWRITER REQUIRED IMPORTED_TARGET xlsxwriter)
# core/import/import_xlsx.c: reading an .xlsx workbook, a zip of XML parts.
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
pkg_check_modules(EXPAT REQUIRED IMPORTED_TARGET expat)
find_program(MSGFMT_EXECUTABLE msgfmt REQUIRED)
# web/: keikaku serve's HTTP server (Debian's libmicrohttpd-dev).
pkg_check_modules(MICROHTTPD REQUIRED IMPORTED_TARGET libmicrohttpd>=0.9.71)
