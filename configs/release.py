# A release build: ./run build config=configs/release.py build_tag=YYYYMMDD
# zig's clang against glibc 2.17 (the archives run on any aarch64 Linux with
# glibc 2.17 or newer), profile-guided and link-time optimised, trained on
# CPython's own PGO task, and tested with the whole regression suite.
toolchain = 'zig'
build_options = 'pgo+lto'
pgo_task = 'cpython'
regrtest = 'full'
