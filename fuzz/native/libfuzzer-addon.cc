// The native half of jazzer.js (@jazzer.js/fuzzer), written for a stock libFuzzer.
//
// Why: jazzer.js 4.0.0 ships its addon prebuilt against glibc 2.38 (Debian 12 has 2.36), and its
// source build downloads a patched LLVM from outside the package registries. This file implements
// the same Node-API surface (the functions @jazzer.js/fuzzer's dist/*.js call) over the libFuzzer
// Debian ships (libclang-rt-14-dev, libclang_rt.fuzzer_no_main-x86_64.a); fuzz/native/build.sh
// compiles it and fuzz/native/preload.cjs makes jazzer.js load it instead of its prebuild.
//
// Differences from upstream, all because stock libFuzzer lacks the patches it relies on:
// - A fuzz target that throws ends the run here: jazzer.js has already printed the finding and
//   dumped the input (printAndDumpCrashingInput), so the process exits with 77 at once (upstream
//   returns a patched "stop" code to libFuzzer instead).
// - Comparisons are reported with this file's call site as their PC (stock libFuzzer has no
//   `_with_pc` hooks): the values still feed libFuzzer's mutation dictionary (TORC); only
//   -use_value_profile=1 loses the per-site distinction.
// - A completed run ends inside libFuzzer (it calls exit(0) after -runs or -max_total_time, which
//   build.sh routes to __wrap_exit: flush, then _exit, from whichever thread), so jazzer.js prints
//   no coverage report; libFuzzer's own final stats (-print_final_stats=1) remain.
// - Asynchronous fuzzing (no `--sync`, for targets that return promises) runs libFuzzer on a thread
//   of its own that hands each input to the event loop and waits for it to settle.
// - A watchdog thread delivers libFuzzer's per-input timeout signal (see StartWatchdog).
#include <node_api.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <chrono>
#include <future>
#include <pthread.h>
#include <thread>
#include <string>
#include <unistd.h>
#include <vector>

namespace fuzzer {
using UserCallback = int (*)(const uint8_t *Data, size_t Size);
int FuzzerDriver(int *argc, char ***argv, UserCallback Callback);
}  // namespace fuzzer

extern "C" {
void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop);
void __sanitizer_cov_pcs_init(const uintptr_t *pcs_beg, const uintptr_t *pcs_end);
void __sanitizer_weak_hook_strcmp(void *called_pc, const char *s1, const char *s2, int result);
void __sanitizer_weak_hook_strstr(void *called_pc, const char *s1, const char *s2, char *result);
void __sanitizer_cov_trace_const_cmp8(uint64_t arg1, uint64_t arg2);
void __sanitizer_cov_trace_pc_indir(uintptr_t callee);
}

namespace {

// Exit code of a run that found something (jazzer.js and libFuzzer both use 77 for a finding).
constexpr int kExitFinding = 77;

uint8_t *gCoverageMap = nullptr;
// libFuzzer's death callback (dumps the current input as crash-<sha1>, prints final stats).
void (*gDeathCallback)() = nullptr;

// libFuzzer's per-input timeout is a SIGALRM from setitimer, acted on only when it lands on the
// thread running libFuzzer. Node's other threads (libuv, V8, the ESM loader) may take it instead,
// so a watchdog sends SIGALRM to libFuzzer's thread each second while an input runs; libFuzzer
// checks the input's elapsed time itself and dumps it as timeout-<sha1> past -timeout.
pthread_t gFuzzThread;
std::atomic<bool> gInCallback{false};

void StartWatchdog() {
  std::thread([] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      if (gInCallback.load()) pthread_kill(gFuzzThread, SIGALRM);
    }
  }).detach();
}

struct Target {
  napi_env env;
  napi_ref fn;
} gTarget{nullptr, nullptr};

// PC table entries for counters that stand for JavaScript edges: fake PCs (the counter's index),
// no function-entry flag. libFuzzer keeps the pointers, so tables are never freed.
struct PcEntry {
  uintptr_t pc, flags;
};

// Counters registered, for the closing line: jazzer.js gives each instrumented ES module counters of
// its own (one per branch), and CommonJS code shares one growing map.
size_t gModuleCounters = 0;
size_t gMapCounters = 0;

void RegisterCounters(uint8_t *start, uint8_t *stop) {
  if (start >= stop) return;
  size_t n = static_cast<size_t>(stop - start);
  auto *pcs = new PcEntry[n];
  for (size_t i = 0; i < n; i++) pcs[i] = {i, 0};
  __sanitizer_cov_8bit_counters_init(start, stop);
  __sanitizer_cov_pcs_init(reinterpret_cast<const uintptr_t *>(pcs), reinterpret_cast<const uintptr_t *>(pcs + n));
}

napi_value Throw(napi_env env, const char *message) {
  napi_throw_error(env, nullptr, message);
  return nullptr;
}

bool Args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < want) {
    napi_throw_error(env, nullptr, "libfuzzer-addon: too few arguments");
    return false;
  }
  return true;
}

int64_t Int(napi_env env, napi_value v) {
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return out;
}

std::string Utf8(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) return std::string();
  std::string out(len, '\0');
  napi_get_value_string_utf8(env, v, out.data(), len + 1, &len);
  return out;
}

bool BufferOf(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is = false;
  napi_is_buffer(env, v, &is);
  if (!is) return false;
  void *p = nullptr;
  napi_get_buffer_info(env, v, &p, len);
  *data = static_cast<uint8_t *>(p);
  return true;
}

napi_value Undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value RegisterCoverageMap(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!Args(env, info, 1, argv)) return nullptr;
  size_t len = 0;
  if (!BufferOf(env, argv[0], &gCoverageMap, &len)) return Throw(env, "registerCoverageMap expected a Buffer");
  return Undefined(env);
}

napi_value RegisterNewCounters(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!Args(env, info, 2, argv)) return nullptr;
  int64_t from = Int(env, argv[0]), to = Int(env, argv[1]);
  if (gCoverageMap == nullptr) return Throw(env, "registerNewCounters before registerCoverageMap");
  if (to < from) return Throw(env, "registerNewCounters expected new >= old");
  RegisterCounters(gCoverageMap + from, gCoverageMap + to);
  gMapCounters = static_cast<size_t>(to);
  return Undefined(env);
}

napi_value RegisterModuleCounters(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!Args(env, info, 1, argv)) return nullptr;
  uint8_t *data = nullptr;
  size_t len = 0;
  if (!BufferOf(env, argv[0], &data, &len)) return Throw(env, "registerModuleCounters expected a Buffer");
  // jazzer.js keeps every module's buffer alive for the whole run (CoverageTracker.moduleCounters).
  RegisterCounters(data, data + len);
  gModuleCounters += len;
  return Undefined(env);
}

napi_value TraceUnequalStrings(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!Args(env, info, 3, argv)) return nullptr;
  std::string a = Utf8(env, argv[1]), b = Utf8(env, argv[2]);
  __sanitizer_weak_hook_strcmp(reinterpret_cast<void *>(Int(env, argv[0])), a.c_str(), b.c_str(), 1);
  return Undefined(env);
}

napi_value TraceStringContainment(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!Args(env, info, 3, argv)) return nullptr;
  std::string needle = Utf8(env, argv[1]), haystack = Utf8(env, argv[2]);
  // libFuzzer ignores the result pointer beyond it being non-null.
  __sanitizer_weak_hook_strstr(reinterpret_cast<void *>(Int(env, argv[0])), haystack.c_str(), needle.c_str(), haystack.data());
  return Undefined(env);
}

napi_value TraceIntegerCompare(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!Args(env, info, 3, argv)) return nullptr;
  __sanitizer_cov_trace_const_cmp8(static_cast<uint64_t>(Int(env, argv[1])), static_cast<uint64_t>(Int(env, argv[2])));
  return Undefined(env);
}

napi_value TracePcIndir(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!Args(env, info, 2, argv)) return nullptr;
  // The site id is mixed into the callee: one PC here, so the id must travel in the value.
  uint64_t id = static_cast<uint64_t>(Int(env, argv[0])), state = static_cast<uint64_t>(Int(env, argv[1]));
  __sanitizer_cov_trace_pc_indir(static_cast<uintptr_t>(state ^ (id * 0x9e3779b97f4a7c15ULL)));
  return Undefined(env);
}

napi_value PrintAndDumpCrashingInput(napi_env env, napi_callback_info) {
  if (gDeathCallback != nullptr) gDeathCallback();
  return Undefined(env);
}

napi_value PrintReturnInfo(napi_env env, napi_callback_info) { return Undefined(env); }

napi_value PrintVersion(napi_env env, napi_callback_info) {
  uint32_t napi = 0;
  napi_get_version(env, &napi);
  const napi_node_version *node = nullptr;
  napi_get_node_version(env, &node);
  printf("Jazzer.js (Tacit libFuzzer addon) running on Node %u.%u.%u using Node-API version %u\n", node->major, node->minor,
         node->patch, napi);
  return Undefined(env);
}

void OnStopSignal(int sig) {
  // The event loop is blocked by the fuzzing loop, so Node's own handlers cannot run.
  static const char msg[] = "\n==libfuzzer-addon== stopped by a signal\n";
  (void)!write(2, msg, sizeof msg - 1);
  _Exit(128 + sig);
}

int Callback(const uint8_t *data, size_t size) {
  napi_env env = gTarget.env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, global, buffer, result;
  void *copy = nullptr;
  napi_get_reference_value(env, gTarget.fn, &fn);
  napi_get_global(env, &global);
  napi_create_buffer_copy(env, size, data, &copy, &buffer);
  gInCallback = true;
  napi_status status = napi_call_function(env, global, fn, 1, &buffer, &result);
  gInCallback = false;
  if (status == napi_pending_exception) {
    // jazzer.js's wrapper printed the finding and dumped the input before rethrowing it.
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    fflush(stdout);
    fflush(stderr);
    _Exit(kExitFinding);
  }
  if (status != napi_ok) {
    fprintf(stderr, "==libfuzzer-addon== calling the fuzz target failed (napi status %d)\n", static_cast<int>(status));
    if (gDeathCallback != nullptr) gDeathCallback();
    _Exit(kExitFinding);
  }
  napi_close_handle_scope(env, scope);
  return 0;
}

// argv[0] the fuzz target, argv[1] libFuzzer's arguments (argv[0] of libFuzzer first).
bool ReadArgs(napi_env env, napi_value *argv, std::vector<std::string> *out) {
  napi_valuetype type;
  napi_typeof(env, argv[0], &type);
  if (type != napi_function) {
    napi_throw_error(env, nullptr, "startFuzzing expected a function");
    return false;
  }
  bool isArray = false;
  napi_is_array(env, argv[1], &isArray);
  if (!isArray) {
    napi_throw_error(env, nullptr, "startFuzzing expected an array of libFuzzer arguments");
    return false;
  }
  uint32_t n = 0;
  napi_get_array_length(env, argv[1], &n);
  out->clear();
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    napi_get_element(env, argv[1], i, &v);
    out->push_back(Utf8(env, v));
  }
  return true;
}

napi_value StartFuzzing(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!Args(env, info, 2, argv)) return nullptr;
  static std::vector<std::string> args;
  if (!ReadArgs(env, argv, &args)) return nullptr;
  static std::vector<char *> ptrs;
  for (auto &a : args) ptrs.push_back(a.data());
  ptrs.push_back(nullptr);
  gTarget.env = env;
  napi_create_reference(env, argv[0], 1, &gTarget.fn);
  signal(SIGINT, OnStopSignal);
  signal(SIGTERM, OnStopSignal);
  gFuzzThread = pthread_self();
  StartWatchdog();
  int argc = static_cast<int>(args.size());
  char **argvp = ptrs.data();
  // Returns only on a libFuzzer usage error: a finished run calls exit(0) inside it.
  int rc = fuzzer::FuzzerDriver(&argc, &argvp, Callback);
  fflush(stderr);
  _Exit(rc == 0 ? 0 : 1);
}

// Asynchronous mode: one input in flight, handed from libFuzzer's thread to the event loop.
struct AsyncInput {
  const uint8_t *data;
  size_t size;
  std::promise<int> done;
};
constexpr int kContinue = 0;
constexpr int kStop = 1;
napi_threadsafe_function gTsfn = nullptr;

void Settle(AsyncInput *in, int result) {
  try {
    in->done.set_value(result);
  } catch (const std::future_error &) {
    // Settled already (a promise that both threw and rejected): the first word stands.
  }
}

napi_value OnResolved(napi_env env, napi_callback_info info) {
  void *in = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &in);
  Settle(static_cast<AsyncInput *>(in), kContinue);
  return Undefined(env);
}

napi_value OnRejected(napi_env env, napi_callback_info info) {
  void *in = nullptr;
  napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &in);
  Settle(static_cast<AsyncInput *>(in), kStop);
  return Undefined(env);
}

// On the event loop's thread.
void CallJs(napi_env env, napi_value fn, void *, void *raw) {
  auto *in = static_cast<AsyncInput *>(raw);
  if (env == nullptr) return Settle(in, kStop);
  napi_value global, buffer, result;
  void *copy = nullptr;
  napi_get_global(env, &global);
  napi_create_buffer_copy(env, in->size, in->data, &copy, &buffer);
  napi_status status = napi_call_function(env, global, fn, 1, &buffer, &result);
  if (status != napi_ok) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    return Settle(in, kStop);
  }
  bool isPromise = false;
  napi_is_promise(env, result, &isPromise);
  if (!isPromise) return Settle(in, kContinue);
  napi_value then, onResolved, onRejected, ignored;
  napi_get_named_property(env, result, "then", &then);
  napi_create_function(env, "resolved", NAPI_AUTO_LENGTH, OnResolved, in, &onResolved);
  napi_create_function(env, "rejected", NAPI_AUTO_LENGTH, OnRejected, in, &onRejected);
  napi_value argv[2] = {onResolved, onRejected};
  napi_call_function(env, result, then, 2, argv, &ignored);
}

// On libFuzzer's thread.
int AsyncCallback(const uint8_t *data, size_t size) {
  AsyncInput in{data, size, {}};
  auto future = in.done.get_future();
  gInCallback = true;
  if (napi_call_threadsafe_function(gTsfn, &in, napi_tsfn_blocking) != napi_ok) {
    fprintf(stderr, "==libfuzzer-addon== the event loop is gone\n");
    _Exit(kExitFinding);
  }
  int result = future.get();
  gInCallback = false;
  if (result == kStop) {
    // jazzer.js's wrapper printed the finding and dumped the input before rejecting.
    fflush(stdout);
    fflush(stderr);
    _Exit(kExitFinding);
  }
  return 0;
}

napi_value StartFuzzingAsync(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!Args(env, info, 2, argv)) return nullptr;
  static std::vector<std::string> args;
  if (!ReadArgs(env, argv, &args)) return nullptr;
  napi_value name;
  napi_create_string_utf8(env, "jazzer fuzz target", NAPI_AUTO_LENGTH, &name);
  napi_create_threadsafe_function(env, argv[0], nullptr, name, 0, 1, nullptr, nullptr, nullptr, CallJs, &gTsfn);
  signal(SIGINT, OnStopSignal);
  signal(SIGTERM, OnStopSignal);
  // New threads inherit the mask: block SIGALRM here, unblock it on libFuzzer's thread only.
  sigset_t alarm;
  sigemptyset(&alarm);
  sigaddset(&alarm, SIGALRM);
  pthread_sigmask(SIG_BLOCK, &alarm, nullptr);
  std::thread([] {
    sigset_t alarm;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &alarm, nullptr);
    gFuzzThread = pthread_self();
    StartWatchdog();
    static std::vector<char *> ptrs;
    for (auto &a : args) ptrs.push_back(a.data());
    ptrs.push_back(nullptr);
    int argc = static_cast<int>(args.size());
    char **argvp = ptrs.data();
    int rc = fuzzer::FuzzerDriver(&argc, &argvp, AsyncCallback);
    fflush(stderr);
    _Exit(rc == 0 ? 0 : 1);
  }).detach();
  // Never settles: the run ends the process.
  napi_deferred deferred;
  napi_value promise;
  napi_create_promise(env, &deferred, &promise);
  return promise;
}

napi_value Init(napi_env env, napi_value exports) {
  struct {
    const char *name;
    napi_callback cb;
  } fns[] = {
      {"registerCoverageMap", RegisterCoverageMap},
      {"registerNewCounters", RegisterNewCounters},
      {"registerModuleCounters", RegisterModuleCounters},
      {"traceUnequalStrings", TraceUnequalStrings},
      {"traceStringContainment", TraceStringContainment},
      {"traceIntegerCompare", TraceIntegerCompare},
      {"tracePcIndir", TracePcIndir},
      {"printAndDumpCrashingInput", PrintAndDumpCrashingInput},
      {"printReturnInfo", PrintReturnInfo},
      {"printVersion", PrintVersion},
      {"startFuzzing", StartFuzzing},
      {"startFuzzingAsync", StartFuzzingAsync},
  };
  for (auto &f : fns) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  return exports;
}

}  // namespace

// libFuzzer looks these up as weak symbols: the death callback is how it hands us the function
// that dumps the current input; the other two keep it from warning about a missing sanitizer.
extern "C" __attribute__((visibility("default"))) void __sanitizer_set_death_callback(void (*callback)()) {
  gDeathCallback = callback;
}
// libFuzzer ends a finished run with exit(0), possibly on its own thread while the event loop
// runs: build.sh links it with --wrap=exit so that it ends here, without running atexit handlers
// and static destructors under Node's feet.
extern "C" void __wrap_exit(int code) {
  // What libFuzzer's "cov:" counts against: the edges instrumented (fuzz/run.mjs reads this line).
  fprintf(stderr, "==libfuzzer-addon== instrumented edges: %zu in ES modules, %zu in the CommonJS map\n", gModuleCounters, gMapCounters);
  fflush(stdout);
  fflush(stderr);
  _exit(code);
}

extern "C" __attribute__((visibility("default"))) int __sanitizer_acquire_crash_state() { return 1; }
extern "C" __attribute__((visibility("default"))) void __sanitizer_print_stack_trace() {}

NAPI_MODULE(libfuzzer_addon, Init)
