// Containment: stop requests and deadlines (checked in the wrapper's interrupt callback),
// Luau's sandbox with per-chunk globals, and print routed to a host sink.
#include "internal.h"

#include <cstring>
#include <ctime>
#include <new>

using namespace luaw;

namespace {

// Safepoints between two clock reads while a deadline is armed: a safepoint costs a few ns,
// a clock read ~20 ns, so the check stays a few percent and the granularity microseconds.
constexpr int32_t kDeadlineTicks = 256;

uint64_t clock_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

} // namespace

namespace luaw {

void raise_stop(luaw_State* S, lua_State* L)
{
    const std::string& msg = stop_message(S);
    S->relax_limit = true; // the stop must not turn into an out-of-memory error
    lua_rawcheckstack(L, 1);
    lua_pushlstring(L, msg.data(), msg.size());
    S->relax_limit = false;
    S->raise_token = 0;
    lua_error(L);
}

} // namespace luaw

namespace {

// Luau's print, formatted the same way, handed to the host's sink (or discarded).
int wrapper_print(lua_State* L)
{
    luaw_State* S = from_lua(L);
    const int n = lua_gettop(L);
    luaL_Strbuf buf;
    luaL_buffinit(L, &buf);
    for (int i = 1; i <= n; ++i)
    {
        size_t len = 0;
        const char* s = luaL_tolstring(L, i, &len); // may call __tostring (and raise): fine here
        if (i > 1)
            luaL_addchar(&buf, '\t');
        luaL_addlstring(&buf, s, len);
        lua_pop(L, 1);
    }
    luaL_addchar(&buf, '\n');
    luaL_pushresult(&buf);
    size_t len = 0;
    const char* line = lua_tolstring(L, -1, &len);
    if (S != nullptr && S->print_sink != nullptr)
        S->print_sink(S->print_ctx, line, len); // host code: nothing raises while it runs
    return 0;
}

} // namespace

namespace luaw {

const std::string& stop_message(luaw_State* S)
{
    static const std::string cancelled = "script interrupted: cancelled";
    static const std::string deadline = "script interrupted: deadline exceeded";
    return S->stopping == LUAW_STOP_DEADLINE ? deadline : cancelled;
}

void vm_interrupt(lua_State* L, int gc)
{
    if (gc >= 0)
        return; // GC steps: never raise there
    luaw_State* S = static_cast<luaw_State*>(L->global->cb.userdata);
    if (S->panicking)
    {
        lua_rawcheckstack(L, 1);
        lua_pushlstring(L, S->panic_message.data(), S->panic_message.size());
        lua_error(L);
    }
    if (S->stopping != 0)
        raise_stop(S, L);
    if (!S->running)
        return;
    if (S->stop != nullptr && S->stop->requested_gen.load(std::memory_order_acquire) == S->run_gen)
    {
        S->stopping = S->stop->cause.load(std::memory_order_relaxed);
        raise_stop(S, L);
    }
    if (S->run_deadline != 0 && --S->deadline_tick <= 0)
    {
        S->deadline_tick = kDeadlineTicks;
        if (clock_ns() >= S->run_deadline)
        {
            S->stopping = LUAW_STOP_DEADLINE;
            raise_stop(S, L);
        }
    }
}

void refresh_interrupt(luaw_State* S)
{
    const bool needed =
        S->panicking || S->stopping != 0 || (S->running && (S->stop != nullptr || S->run_deadline != 0));
    lua_callbacks(S->L)->interrupt = needed ? vm_interrupt : nullptr;
}

void begin_run(luaw_State* S)
{
    S->running = true;
    S->stopping = 0;
    S->run_gen += 1; // odd: running
    if (S->stop != nullptr)
        S->stop->run_gen.store(S->run_gen, std::memory_order_release);
    S->run_deadline = S->deadline;
    if (S->run_timeout != 0)
    {
        const uint64_t by_timeout = clock_ns() + S->run_timeout;
        if (S->run_deadline == 0 || by_timeout < S->run_deadline)
            S->run_deadline = by_timeout;
    }
    S->deadline_tick = 1; // the first safepoint reads the clock: an expired deadline stops at once
    refresh_interrupt(S);
}

void end_run(luaw_State* S)
{
    S->running = false;
    S->stopping = 0;
    S->run_gen += 1; // even: idle; a late request targets a run that is over
    if (S->stop != nullptr)
        S->stop->run_gen.store(S->run_gen, std::memory_order_release);
    S->run_deadline = 0;
    refresh_interrupt(S);
}

void give_own_globals(lua_State* L, int idx)
{
    idx = lua_absindex(L, idx);
    push_own_globals(L);
    lua_setfenv(L, idx);
}

void push_own_globals(lua_State* L)
{
    lua_rawcheckstack(L, 3);
    lua_newtable(L);              // the chunk's globals
    lua_newtable(L);              // its metatable: reads fall through to the shared globals
    lua_pushvalue(L, LUA_GLOBALSINDEX);
    lua_setfield(L, -2, "__index");
    lua_setreadonly(L, -1, true);
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G"); // _G names the chunk's own table, as luaL_sandboxthread's users do
    lua_setsafeenv(L, -1, true);
}

void install_print(lua_State* L)
{
    lua_pushcfunction(L, wrapper_print, "print");
    lua_setglobal(L, "print");
}

} // namespace luaw

struct luaw_StopHandle {
    StopShared shared;
};

static void release_shared(StopShared* shared)
{
    if (shared != nullptr && shared->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
        delete reinterpret_cast<luaw_StopHandle*>(shared);
}

extern "C" luaw_StopHandle* luaw_stop_handle(luaw_State* S) noexcept
{
    if (S == nullptr)
        return nullptr;
    if (S->stop == nullptr)
    {
        luaw_StopHandle* h = new (std::nothrow) luaw_StopHandle();
        if (h == nullptr)
            return nullptr;
        h->shared.run_gen.store(S->run_gen, std::memory_order_release);
        S->stop = &h->shared; // the state's own reference
        if (S->running)
            refresh_interrupt(S);
    }
    S->stop->refs.fetch_add(1, std::memory_order_relaxed);
    return reinterpret_cast<luaw_StopHandle*>(S->stop);
}

extern "C" void luaw_stop_handle_release(luaw_StopHandle* h) noexcept
{
    release_shared(h ? &h->shared : nullptr);
}

extern "C" int32_t luaw_stop_request(luaw_StopHandle* h, int32_t cause) noexcept
{
    if (h == nullptr)
        return 0;
    StopShared& s = h->shared;
    const uint64_t gen = s.run_gen.load(std::memory_order_acquire);
    if ((gen & 1) == 0)
        return 0;
    s.cause.store(cause == LUAW_STOP_DEADLINE ? LUAW_STOP_DEADLINE : LUAW_STOP_CANCEL, std::memory_order_relaxed);
    s.requested_gen.store(gen, std::memory_order_release);
    return 1;
}

namespace luaw {
// Called by luaw_close: drops the state's reference to its stop handle.
void release_stop(luaw_State* S)
{
    if (S->stop != nullptr)
    {
        // Handles that outlive the state must never match a run again.
        S->stop->run_gen.store(0, std::memory_order_release);
        release_shared(S->stop);
        S->stop = nullptr;
    }
}
} // namespace luaw

extern "C" uint64_t luaw_clock_ns(void) noexcept
{
    return clock_ns();
}

extern "C" void luaw_set_deadline(luaw_State* S, uint64_t deadline_ns) noexcept
{
    if (S == nullptr)
        return;
    S->deadline = deadline_ns;
    if (S->running && deadline_ns != 0 && (S->run_deadline == 0 || deadline_ns < S->run_deadline))
    {
        S->run_deadline = deadline_ns;
        S->deadline_tick = 1;
        refresh_interrupt(S);
    }
}

extern "C" void luaw_set_run_timeout(luaw_State* S, uint64_t timeout_ns) noexcept
{
    if (S != nullptr)
        S->run_timeout = timeout_ns;
}

extern "C" int32_t luaw_sandbox(luaw_State* S, luaw_Error* err) noexcept
{
    if (S == nullptr)
        return set_error(S, err, LUAW_ERRARG, "luaw_sandbox: no state", 22);
    if (S->running || S->host_depth > 0)
        return set_error(S, err, LUAW_ERRBUSY, "luaw_sandbox: a run is going on", 31);
    if (S->sandboxed)
        return set_ok(err);
    S->relax_limit = true;
    int rc = protect(S->L, [](lua_State* L) { luaL_sandbox(L); });
    S->relax_limit = false;
    if (rc != LUA_OK)
        return conclude_error(S, rc, err);
    S->sandboxed = true;
    return set_ok(err);
}

extern "C" int32_t luaw_is_sandboxed(luaw_State* S) noexcept
{
    return S != nullptr && S->sandboxed ? 1 : 0;
}

extern "C" void luaw_set_print(luaw_State* S, luaw_PrintSink sink, uintptr_t ctx) noexcept
{
    if (S == nullptr)
        return;
    S->print_sink = sink;
    S->print_ctx = ctx;
}
