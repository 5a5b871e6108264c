// Host functions: the trampoline between Luau and the Go / Rust dispatcher.
//
// The one rule: the dispatcher (Go or Rust) runs and returns first; only then does this file
// push results or raise the Luau error. Nothing that can raise runs while a host frame is on
// the native stack.
#include "internal.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

using namespace luaw;

namespace {

// Raises msg as the Luau error of the running host function. token != 0 marks it as the
// host's own error (see luaw_State::raise_token).
// Inlined: one frame fewer for the C++ unwinder on the error path.
[[noreturn]] inline __attribute__((always_inline)) void raise_message(luaw_State* S, lua_State* L, const char* msg,
                                                                      size_t len, uint64_t token)
{
    if (token != 0)
    {
        try
        {
            S->raised_host_message.assign(msg, len);
        }
        catch (...)
        {
            S->raised_host_message.clear(); // identity then only for a direct escape
        }
    }
    // The host's error must not be masked by the memory limit it may have hit.
    S->relax_limit = true;
    lua_rawcheckstack(L, 1);
    lua_pushlstring(L, msg, len);
    S->relax_limit = false;
    S->raise_token = token;
    lua_error(L);
}

// Formats a wrapper-side error of the trampoline (never the host's) and raises it.
[[noreturn]] void raise_wrapper_error(luaw_State* S, lua_State* L, const char* fmt, const char* name, int value)
{
    char msg[256];
    int len = snprintf(msg, sizeof(msg), fmt, name, value);
    raise_message(S, L, msg, len < 0 ? 0 : std::min((size_t)len, sizeof(msg) - 1), 0);
}

// Pushes one result. Raises (fine: only Luau/C++ frames are below) on OOM or a bad index.
inline void push_result(luaw_State* S, lua_State* L, const luaw_Value* v, int frame_top, const char* name)
{
    if (v->type == LUAW_TNUMBER)
    {
        setnvalue(L->top, v->u.number); // room was checked by the caller
        L->top++;
        return;
    }
    if (v->type != LUAW_TSTACK)
        return push_scalar(S, L, v);
    if (v->stack_index < 1 || v->stack_index > frame_top)
        raise_wrapper_error(S, L, "host function '%s' returned an invalid stack index %d", name, (int)v->stack_index);
    lua_pushvalue(L, v->stack_index);
}

} // namespace

namespace luaw {

HostFrame::HostFrame(luaw_State* S)
    : results(LUAW_INLINE_RESULTS)
    , scratch(256)
{
    std::memset(&call, 0, sizeof(call));
    call.state = S;
    call.args = args.data();
    call.results = results.data();
    call.results_cap = (int32_t)results.size();
    call.scratch = scratch.data();
    call.scratch_cap = scratch.size();
}

// The dispatcher of a state nobody installed one on: every host function call fails.
int32_t missing_dispatch(uintptr_t, luaw_Call* call)
{
    static const char msg[] = "no host dispatcher installed";
    call->error_message = msg;
    call->error_message_len = sizeof(msg) - 1;
    return LUAW_CB_ERROR;
}

// Checks the host's result count and pushes its results (LUAW_TSTACK ones index the frame as
// it was when the host returned), with room for extra more slots. Returns the count.
static inline __attribute__((always_inline)) int push_results(luaw_State* S, lua_State* L, const luaw_Call& call,
                                                              const char* name, int extra)
{
    const int n = call.nresults;
    if (n < 0 || n > call.results_cap)
        raise_wrapper_error(S, L, "host function '%s' returned a bad result count %d", name, n);
    const int frame_top = (int)(L->top - L->base);
    if (L->top + n + extra > L->ci->top) // a C function is guaranteed LUA_MINSTACK free slots
        lua_rawcheckstack(L, n + extra);
    for (int i = 0; i < n; ++i)
        push_result(S, L, &call.results[i], frame_top, name);
    return n;
}

// Calls the dispatcher for the host function running in L, with the values from slot skip + 1
// up as its arguments, then acts on its answer. Returns what the C function returns.
static inline __attribute__((always_inline)) int dispatch_and_act(luaw_State* S, lua_State* L, int skip,
                                                                   uint64_t continuation)
{
    // Hot path: read the closure's two upvalues (function id, name) straight from the VM's
    // structures; only trampoline closures made by luaw_push_function reach here, so their
    // layout is known.
    const TValue* upvalues = clvalue(L->ci->func)->c.upvals;
    const uint64_t function_id = reinterpret_cast<uintptr_t>(pvalue(&upvalues[0]));
    const TString* name_string = tsvalue(&upvalues[1]);
    const char* name = getstr(name_string);
    const size_t name_len = name_string->len;
    const int depth = S->host_depth;
    if (depth >= (int)S->frames.size())
        S->frames.emplace_back(new HostFrame(S)); // bad_alloc becomes a Luau error in EH mode
    HostFrame& frame = *S->frames[depth];
    luaw_Call& call = frame.call;

    const int nargs = (int)(L->top - L->base) - skip;
    if ((int)frame.args.size() < nargs)
    {
        frame.args.resize(nargs);
        call.args = frame.args.data();
    }
    for (int i = 0; i < nargs; ++i)
        read_slot(L->base + skip + i, skip + i + 1, &frame.args[i]);

    call.function_id = function_id;
    call.name = name;
    call.name_len = name_len;
    call.nargs = nargs;
    call.nresults = 0;
    call.scratch_len = 0;
    call.error_message = nullptr;
    call.error_message_len = 0;
    call.error_token = 0;
    call.continuation = continuation;
    call.yield_continuation = 0;

    lua_State* saved_current = S->current;
    S->current = L;
    S->host_depth = depth + 1;
    // Nested calls the host makes must never yield (the host could not follow a yield): a
    // closure with a continuation makes Luau count its callees as yieldable, so take that
    // back for as long as the host runs.
    const unsigned short base_ccalls = L->baseCcalls;
    if (base_ccalls > 0)
        L->baseCcalls = (unsigned short)(base_ccalls - 1);
    const int32_t rc = S->dispatch(S->host_ctx, &call); // the only place host code runs
    L->baseCcalls = base_ccalls;
    S->host_depth = depth;
    S->current = saved_current;
    S->raise_token = 0; // any raise below but the host's own error is not the host's

    // From here on the host frames are gone: raising is safe.
    if (S->stopping != 0 && !S->panicking && rc != LUAW_CB_PANIC)
        raise_stop(S, L); // a stop that came while the host function ran takes effect now
    if (rc == LUAW_CB_OK && !S->panicking)
        return push_results(S, L, call, name, 0);
    if (rc == LUAW_CB_YIELD && !S->panicking)
    {
        if (!lua_isyieldable(L))
            raise_wrapper_error(S, L,
                "host function '%s' cannot yield here: it was not called from a resumable thread, or a "
                "host call or metamethod is in between%.0d",
                name, 0);
        // The frame across the yield: [continuation token or nil][yielded values]. The
        // arguments go; the token stays below the values, where trampoline_cont finds it.
        const int frame_top = (int)(L->top - L->base);
        const int n = push_results(S, L, call, name, 1);
        if (call.yield_continuation != 0)
            lua_pushlightuserdatatagged(
                L, reinterpret_cast<void*>(static_cast<uintptr_t>(call.yield_continuation)), kContinuationTag);
        else
            lua_pushnil(L);
        lua_insert(L, -(n + 1));
        for (int i = 0; i < frame_top; ++i)
            lua_remove(L, 1);
        return lua_yield(L, n);
    }
    if (rc == LUAW_CB_ERROR && !S->panicking)
    {
        const char* msg = call.error_message ? call.error_message : "host function failed";
        size_t len = call.error_message ? call.error_message_len : std::strlen(msg);
        raise_message(S, L, msg, len, call.error_token);
    }
    if (!S->panicking)
    {
        // The first panic: remember it until the outermost call returns, and stop the
        // script at its next safepoint (the interrupt is installed only while panicking).
        S->panicking = true;
        refresh_interrupt(S);
        S->panic_token = call.error_token;
        S->panic_message.assign("host function '");
        S->panic_message.append(name, name_len);
        S->panic_message.append("' panicked: ");
        if (rc == LUAW_CB_PANIC && call.error_message)
            S->panic_message.append(call.error_message, call.error_message_len);
        else if (rc != LUAW_CB_PANIC)
            S->panic_message.append("dispatcher returned an unknown code");
    }
    raise_message(S, L, S->panic_message.data(), S->panic_message.size(), 0);
}

extern "C" int trampoline(lua_State* L)
{
    return dispatch_and_act(static_cast<luaw_State*>(L->global->cb.userdata), L, 0, 0);
}

// Runs when a thread suspended in a host function is resumed. Slot 1 holds the host's
// continuation token (or nil); the resume values follow.
extern "C" int trampoline_cont(lua_State* L, int)
{
    if (lua_type(L, 1) != LUA_TLIGHTUSERDATA)
        return lua_gettop(L) - 1; // no continuation: the resume values are the results
    const uint64_t token = reinterpret_cast<uintptr_t>(lua_tolightuserdatatagged(L, 1, kContinuationTag));
    return dispatch_and_act(static_cast<luaw_State*>(L->global->cb.userdata), L, 1, token);
}

} // namespace luaw

// The frame that owns call (a call is only valid while its host function runs).
static HostFrame* frame_of(luaw_Call* call)
{
    for (const auto& frame : call->state->frames)
        if (&frame->call == call)
            return frame.get();
    return nullptr;
}

extern "C" int32_t luaw_call_reserve_results(luaw_Call* call, int32_t n) noexcept
{
    if (call == nullptr || call->state == nullptr || n < 0)
        return LUAW_ERRARG;
    if (n <= call->results_cap)
        return LUAW_OK;
    HostFrame* found = frame_of(call);
    if (found == nullptr)
        return LUAW_ERRARG;
    HostFrame& frame = *found;
    try
    {
        frame.results.resize(n);
    }
    catch (...)
    {
        return LUAW_ERRMEM;
    }
    call->results = frame.results.data();
    call->results_cap = n;
    return LUAW_OK;
}

extern "C" int32_t luaw_call_reserve_scratch(luaw_Call* call, size_t n) noexcept
{
    if (call == nullptr || call->state == nullptr)
        return LUAW_ERRARG;
    if (call->scratch_cap - call->scratch_len >= n)
        return LUAW_OK;
    HostFrame* found = frame_of(call);
    if (found == nullptr)
        return LUAW_ERRARG;
    HostFrame& frame = *found;
    char* old_base = frame.scratch.data();
    const size_t old_cap = frame.scratch.size();
    try
    {
        size_t want = call->scratch_len + n;
        frame.scratch.resize(want > old_cap * 2 ? want : old_cap * 2);
    }
    catch (...)
    {
        return LUAW_ERRMEM;
    }
    char* new_base = frame.scratch.data();
    // Rebase pointers the host already made into the old scratch.
    auto rebase = [&](const char* p) -> const char* {
        if (p >= old_base && p <= old_base + old_cap)
            return new_base + (p - old_base);
        return p;
    };
    for (int32_t i = 0; i < call->nresults && i < call->results_cap; ++i)
        if (call->results[i].type == LUAW_TSTRING)
            call->results[i].u.string.ptr = rebase(call->results[i].u.string.ptr);
    if (call->error_message)
        call->error_message = rebase(call->error_message);
    call->scratch = new_base;
    call->scratch_cap = frame.scratch.size();
    return LUAW_OK;
}

// Pushes a host closure (function id + name upvalues). Raises on OOM; call under protect().
static void push_host_function(lua_State* L, uint64_t function_id, const char* name, size_t name_len,
                               const char* debugname)
{
    lua_rawcheckstack(L, 3);
    lua_pushlightuserdatatagged(L, reinterpret_cast<void*>(static_cast<uintptr_t>(function_id)), kFunctionIdTag);
    lua_pushlstring(L, name ? name : "", name_len);
    // The continuation serves yields of the host function itself; its nested calls are kept
    // from yielding by dispatch_and_act (luau-capi.md 3.3).
    lua_pushcclosurek(L, trampoline, debugname, 2, trampoline_cont);
}

// Luau's debug name is a C string: a NUL-terminated copy of the name (cut at an embedded
// NUL), on the stack for short names.
struct DebugName {
    char buf[128];
    std::string heap;
    const char* c_str = nullptr;

    // False when out of memory.
    bool set(const char* name, size_t name_len) noexcept
    {
        if (name_len < sizeof(buf))
        {
            if (name_len)
                std::memcpy(buf, name, name_len);
            buf[name_len] = 0;
            c_str = buf;
            return true;
        }
        try
        {
            heap.assign(name, name_len);
        }
        catch (...)
        {
            return false;
        }
        c_str = heap.c_str();
        return true;
    }
};

extern "C" int32_t luaw_push_function(luaw_State* S, uint64_t function_id, const char* name, size_t name_len,
                                      luaw_Error* err) noexcept
{
    if (S == nullptr || function_id == 0 || (name == nullptr && name_len != 0))
        return set_error(S, err, LUAW_ERRARG, "luaw_push_function: bad argument", 32);
    DebugName debugname;
    if (!debugname.set(name, name_len))
        return set_error(S, err, LUAW_ERRMEM, "not enough memory", 17);
    int rc = protect(S->current, [&](lua_State* L) { push_host_function(L, function_id, name, name_len, debugname.c_str); });
    if (rc != LUA_OK)
        return conclude_error(S, rc, err);
    return set_ok(err);
}

extern "C" int32_t luaw_register_function(luaw_State* S, const char* name, size_t name_len, uint64_t function_id,
                                          luaw_Error* err) noexcept
{
    if (S == nullptr || function_id == 0 || (name == nullptr && name_len != 0))
        return set_error(S, err, LUAW_ERRARG, "luaw_register_function: bad argument", 36);
    DebugName debugname;
    if (!debugname.set(name, name_len))
        return set_error(S, err, LUAW_ERRMEM, "not enough memory", 17);
    lua_State* L = S->current;
    const int top = lua_gettop(L);
    // One protected call: the closure and the global assignment.
    int rc = protect(L, [&](lua_State* L) {
        lua_rawcheckstack(L, 1);
        lua_pushlstring(L, name ? name : "", name_len);
        push_host_function(L, function_id, name, name_len, debugname.c_str);
        lua_settable(L, LUA_GLOBALSINDEX);
    });
    if (rc != LUA_OK)
    {
        int32_t status = conclude_error(S, rc, err);
        lua_settop(L, top);
        return status;
    }
    return set_ok(err);
}

extern "C" int32_t luaw_function_id(luaw_State* S, int32_t idx, uint64_t* function_id) noexcept
{
    if (S == nullptr || function_id == nullptr)
        return LUAW_ERRARG;
    lua_State* L = S->current;
    int abs = valid_index(L, idx);
    if (abs == 0 || lua_tocfunction(L, abs) != trampoline || !lua_checkstack(L, 1))
        return LUAW_ERRARG;
    lua_getupvalue(L, abs, 1);
    *function_id = reinterpret_cast<uintptr_t>(lua_tolightuserdatatagged(L, -1, kFunctionIdTag));
    lua_pop(L, 1);
    return *function_id ? LUAW_OK : LUAW_ERRARG;
}
