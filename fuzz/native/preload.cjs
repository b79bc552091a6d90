// Loaded with `node --require` before jazzer.js: when @jazzer.js/fuzzer loads its prebuilt addon
// (built for glibc 2.38, which Debian 12 lacks), load ours instead (TACIT_FUZZ_ADDON, made by
// fuzz/native/build.sh; see libfuzzer-addon.cc for why and how it differs).
/* global process */
'use strict';
const addon = process.env.TACIT_FUZZ_ADDON;
if (addon) {
  const dlopen = process.dlopen;
  process.dlopen = function (module, filename, ...rest) {
    const name = String(filename);
    if (/[\\/]@jazzer\.js[\\/]fuzzer[\\/]prebuilds[\\/]fuzzer-[^\\/]+\.node$/.test(name)) return dlopen.call(this, module, addon, ...rest);
    return dlopen.call(this, module, filename, ...rest);
  };
}
