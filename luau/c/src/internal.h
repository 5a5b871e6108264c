// Private to the wrapper's .cpp files: the per-state data and the protected-call helper.
// Rules for code in this directory:
// - every extern "C" function is noexcept and returns a status; VM work that can raise runs
//   under protect() (luaD_pcall) or lua_pcall;
// - code that runs inside a Luau frame (the trampoline, protected lambdas, handlers) holds no
//   object with a non-trivial destructor across a call that can raise, so it is correct with
//   C++ exceptions and with longjmp alike.
#pragma once

#include "luau_config.h" // first: the ABI-relevant defines

#include "luau_wrapper.h"

#include "lua.h"
#include "lualib.h"
#include "luacode.h"

// Internal VM headers, for luaD_pcall (the cheapest correct protection: +2.5 ns per op).
#include "ldo.h"
#include "lstate.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct luaw_StopHandle {
    std::atomic<int32_t> refs{1};
    std::atomic<uint64_t> run_gen{0};       // odd while a run is going on; 0 once the state closed
    std::atomic<uint64_t> requested_gen{0}; // the run a stop request targets
    std::atomic<int32_t> cause{0};          // its LUAW_STOP_* cause
    std::atomic<uint64_t> deadline{0};      // the running run's deadline (watchdog), 0 = none
    std::mutex mu;                          // guards callbacks
    lua_Callbacks* callbacks = nullptr;     // the VM's, until the state closes
};

namespace luaw {

// Light-userdata tag of the function-id upvalue of host closures.
constexpr int kFunctionIdTag = 77;
// Light-userdata tag of a host continuation token kept across a yield.
constexpr int kContinuationTag = 78;
// Userdata tag of host userdata (one tag for all types; the type lives in the block).
constexpr int kHostUserdataTag = 77;

// The part of a state's stop control that other threads touch (handles, the deadline
// watchdog). Reference-counted: the state holds one reference, each handle and the watchdog
// one more.
using StopShared = luaw_StopHandle;

struct HostUserdata {
    uint64_t handle;
    uint32_t type_id;
};

// Fills v from the value at idx (scalars by value, strings borrowed, host userdata by
// handle, everything else by type and index). Never raises.
void read_value(lua_State* L, int idx, luaw_Value* v);
// Pushes a value carried by value (not LUAW_TSTACK); raises on OOM or an unknown type.
void push_scalar(luaw_State* S, lua_State* L, const luaw_Value* v);
// Pushes a new host userdata of type_id; raises on an unknown type or out of memory.
void push_host_userdata(luaw_State* S, lua_State* L, uint32_t type_id, uint64_t handle);
void host_userdata_destructor(lua_State* L, void* block);

// Buffers of one host-call depth: reused across calls, owned by the state (never by a
// frame that a Luau error could skip).
struct HostFrame {
    std::vector<luaw_Value> args;
    std::vector<luaw_Value> results;
    std::vector<char> scratch;
    luaw_Call call; // persistent: the trampoline writes only the fields that change per call

    explicit HostFrame(luaw_State* S);
};

} // namespace luaw

struct luaw_State {
    lua_State* L = nullptr;       // main thread
    lua_State* current = nullptr; // thread of the innermost running host function, else L

    // Memory accounting (allocator level) and the optional budget.
    size_t memory_used = 0;
    size_t memory_limit = 0;
    bool relax_limit = false; // lets a host error message be pushed at the limit

    luaw_Dispatch dispatch = nullptr; // set to missing_dispatch by luaw_new
    uintptr_t host_ctx = 0;
    int32_t host_depth = 0; // host functions currently running

    // A host panic is sticky until the outermost call returns.
    bool panicking = false;
    uint64_t panic_token = 0;
    std::string panic_message;

    // Host-error identity is decided by where an error was raised, never by its text:
    // raise_token is the token of the error the trampoline is raising right now (0 for its
    // other errors); the message handler of luaw_pcall copies it to escaped_token when the
    // raising frame is a host function, i.e. when the host's error escaped uncaught.
    uint64_t raise_token = 0;
    uint64_t escaped_token = 0;
    // The text of the host error behind raise_token: an error re-raised by a C function with
    // that text at its end (coroutine.wrap adds a position; error(e, 0) rethrows it) is the
    // host's error still.
    std::string raised_host_message;
    std::vector<std::unique_ptr<luaw::HostFrame>> frames;

    int traceback_handler_ref = LUA_NOREF;
    int userdata_types_ref = LUA_NOREF; // table: type_id -> metatable
    std::vector<uint64_t> released;     // handles of collected host userdata
    std::string traceback_capture; // written by the message handler

    // Containment (control.cpp). A run is the outermost call into Luau.
    luaw::StopShared* stop = nullptr; // created by the first luaw_stop_handle
    bool running = false;
    uint64_t run_gen = 0;        // odd while running; mirrored into stop->run_gen
    int32_t stopping = 0;        // sticky LUAW_STOP_* once a stop hit the current run
    uint64_t deadline = 0;       // absolute luaw_clock_ns, 0 = none
    uint64_t run_timeout = 0;    // per run, 0 = none
    uint64_t run_deadline = 0;   // the current run's effective deadline
    bool watched = false;        // stop is registered with the deadline watchdog
    bool sandboxed = false;
    luaw_PrintSink print_sink = nullptr;
    uintptr_t print_ctx = 0;
    std::string stop_message;

    // Storage behind luaw_Error's pointers: valid until the next call on this state.
    std::string error_message;
    std::string error_traceback;
};

namespace luaw {

luaw_State* from_lua(lua_State* L);

template<typename F>
void protected_thunk(lua_State* L, void* ud)
{
    (*static_cast<F*>(ud))(L);
}

// Runs f(L) under luaD_pcall. On error the stack is restored to its height at entry and
// the error value is pushed; returns the Luau status.
template<typename F>
int protect(lua_State* L, F&& f)
{
    using Fn = typename std::remove_reference<F>::type;
    return luaD_pcall(L, &protected_thunk<Fn>, &f, savestack(L, L->top), 0);
}

// Absolute index for a valid stack index (1..top or -top..-1), else 0.
int valid_index(lua_State* L, int32_t idx);

// Compiles the Luau function on top of L natively when the state enabled codegen (codegen.cpp);
// otherwise, and for what CodeGen cannot compile, does nothing. Raises nothing.
void codegen_compile(lua_State* L);

// Fills err with a status and message (copied into the state's buffers).
int32_t set_error(luaw_State* S, luaw_Error* err, int32_t status, const char* msg, size_t len,
                  const char* traceback = "", size_t traceback_len = 0);
int32_t set_ok(luaw_Error* err);

// Turns the error value on top of S->current into err (pops it), recognising escaped host
// errors and panics, and does the outermost-call cleanup. Returns the final status.
// host_token: the token of a host error that escaped (luaw_pcall's handler saw it), or 0.
int32_t conclude_error(luaw_State* S, int status, luaw_Error* err, uint64_t host_token = 0);
// The same bookkeeping for a call that succeeded (a swallowed panic still surfaces).
// keep_from: stack height to drop back to if the success turns into a panic.
int32_t conclude_ok(luaw_State* S, int keep_from, luaw_Error* err);

// Fills v from the stack slot o at absolute index idx. Inline: the trampoline's hot path.
// lua_checkstack(L, n), without its cost when the current frame already has the room:
// lua_checkstack always walks every call frame of L to raise their limits.
inline bool has_stack_room(lua_State* L, int n)
{
    return (L->ci->top - L->top) >= n || lua_checkstack(L, n);
}

inline void read_slot(const TValue* o, int idx, luaw_Value* v)
{
    const int t = ttype(o);
    v->type = t;
    v->stack_index = idx;
    switch (t)
    {
    case LUA_TBOOLEAN:
        v->u.boolean = bvalue(o);
        break;
    case LUA_TNUMBER:
        v->u.number = nvalue(o);
        break;
    case LUA_TINTEGER:
        v->u.integer = lvalue(o);
        break;
    case LUA_TSTRING:
    {
        const TString* ts = tsvalue(o);
        v->u.string.ptr = getstr(ts);
        v->u.string.len = ts->len;
        break;
    }
    case LUA_TVECTOR:
    {
        const float* f = vvalue(o);
        v->u.vector[0] = f[0];
        v->u.vector[1] = f[1];
        v->u.vector[2] = f[2];
        v->u.vector[3] = 0.0f;
        break;
    }
    case LUA_TUSERDATA:
    {
        const Udata* u = uvalue(o);
        const bool ours = u->tag == kHostUserdataTag;
        const HostUserdata* ud = reinterpret_cast<const HostUserdata*>(u->data);
        v->u.userdata.handle = ours ? ud->handle : 0;
        v->u.userdata.type_id = ours ? ud->type_id : 0;
        break;
    }
    default:
        v->u.userdata.handle = 0;
        v->u.userdata.type_id = 0;
        break;
    }
}

extern "C" int trampoline(lua_State* L);
extern "C" int trampoline_cont(lua_State* L, int status);
// The wrapper's Luau interrupt: pending panics and stop requests (control.cpp). Installed
// only while something needs checking (refresh_interrupt).
void vm_interrupt(lua_State* L, int gc);
void refresh_interrupt(luaw_State* S);
// Outermost-run bookkeeping around every call into Luau made with no host function below.
void begin_run(luaw_State* S);
void end_run(luaw_State* S);
// The message a stop raises in Luau and reports to the host.
const std::string& stop_message(luaw_State* S);
// Pushes a writable global table whose reads fall through to the globals of L (the sandbox's
// per-chunk environment, for a thread's LUA_GLOBALSINDEX). Raises on OOM.
void push_own_globals(lua_State* L);
// Makes such a table the globals of thread co (LUA_GLOBALSINDEX). Raises on OOM.
void give_thread_own_globals(lua_State* co);
// Marks co as a main chunk's thread: coroutine.running() is nil in it (state.cpp).
void mark_main_chunk(lua_State* co);
// Raises the current stop (S->stopping) as a Luau error.
[[noreturn]] void raise_stop(luaw_State* S, lua_State* L);
// Resumes co from S->current (lua_resume, or lua_resumeerror with the error value on top of
// co when as_error) and concludes like luaw_pcall: on LUAW_OK / LUAW_YIELD the values are
// moved onto S->current and *nresults says how many; on error nothing is pushed.
int32_t resume_thread(luaw_State* S, lua_State* co, int nargs, bool as_error, int32_t* nresults, luaw_Error* err);
// Loads bytecode onto L as a function (luau_load); errors become statuses.
int32_t load_chunk_on(luaw_State* S, lua_State* L, const char* chunkname, size_t chunkname_len, const char* bytecode,
                      size_t bytecode_len, luaw_Error* err);
// Installs the wrapper's print (to the host's sink) and loadstring (text only) (control.cpp).
// Raises on OOM.
void install_print(lua_State* L);
void release_stop(luaw_State* S);
// Builds "stack traceback:\n\t..." of L from level first (C++ memory only; never raises).
void capture_traceback(luaw_State* S, lua_State* L, int first);
// The token of the host error that escaped, if the error value on top of L was raised by the
// function at `level` of L and is the host's error (see raised_host_message); else 0.
uint64_t escaped_host_token(luaw_State* S, lua_State* L, int level);
int32_t missing_dispatch(uintptr_t host_ctx, luaw_Call* call);
// True for Luau's require body (require.cpp): a resolver error it re-raises is the host's.
bool is_require_function(lua_CFunction f);
// Makes the tables registered as modules read-only (luaw_sandbox). Raises on OOM.
void freeze_host_modules(lua_State* L);

} // namespace luaw
