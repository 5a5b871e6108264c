// Containment: stop requests and deadlines, Luau's sandbox with per-chunk globals, and print
// routed to a host sink.
//
// Stops cost nothing until they happen: no interrupt callback is installed while a run goes
// on, so the VM's safepoints stay a single untaken branch. A stop request (any thread) or the
// watchdog thread (deadlines) marks the run it targets and then installs the interrupt; the
// interrupt, on the VM's own thread, raises the stop. Runs are numbered (odd while running),
// so a request that comes late can never hit a later run.
#include "internal.h"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

using namespace luaw;

namespace {

uint64_t clock_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// Marks run gen of shared as stopped with cause and installs the interrupt on its VM (if the
// state still exists). Returns false when gen is not a running generation.
bool request_run(StopShared* shared, uint64_t gen, int32_t cause)
{
    if ((gen & 1) == 0)
        return false;
    shared->cause.store(cause, std::memory_order_relaxed);
    shared->requested_gen.store(gen, std::memory_order_release);
    std::lock_guard<std::mutex> lock(shared->mu);
    if (shared->callbacks != nullptr)
        __atomic_store_n(&shared->callbacks->interrupt, &vm_interrupt, __ATOMIC_RELEASE);
    return true;
}

// The deadline watchdog: one thread for the process, started on first use. It sleeps while
// no run with a deadline goes on, and otherwise wakes at least every millisecond.
struct Watchdog {
    std::mutex mu;
    std::condition_variable wake;
    std::vector<StopShared*> states; // states that ever had a deadline (a reference each)
    std::atomic<int64_t> active{0};  // runs with a deadline going on now
    bool started = false;

    static Watchdog& get()
    {
        static Watchdog* w = new Watchdog(); // never destroyed: the thread outlives main
        return *w;
    }

    void loop()
    {
        std::unique_lock<std::mutex> lock(mu);
        for (;;)
        {
            wake.wait(lock, [this] { return active.load(std::memory_order_acquire) > 0; });
            const uint64_t now = clock_ns();
            uint64_t next = now + 1000000; // 1 ms
            for (StopShared* s : states)
            {
                const uint64_t gen = s->run_gen.load(std::memory_order_acquire);
                const uint64_t deadline = s->deadline.load(std::memory_order_acquire);
                if ((gen & 1) == 0 || deadline == 0 || s->run_gen.load(std::memory_order_acquire) != gen)
                    continue;
                if (now >= deadline)
                {
                    if (s->requested_gen.load(std::memory_order_relaxed) != gen)
                        request_run(s, gen, LUAW_STOP_DEADLINE);
                }
                else if (deadline < next)
                {
                    next = deadline;
                }
            }
            lock.unlock();
            const uint64_t after = clock_ns();
            if (next > after)
                std::this_thread::sleep_for(std::chrono::nanoseconds(next - after));
            lock.lock();
        }
    }

    // Registers a state's shared block (once per state). False when out of memory.
    bool watch(StopShared* s)
    {
        std::lock_guard<std::mutex> lock(mu);
        try
        {
            if (!started)
            {
                std::thread([this] { loop(); }).detach();
                started = true;
            }
            states.push_back(s);
        }
        catch (...)
        {
            return false;
        }
        s->refs.fetch_add(1, std::memory_order_relaxed);
        return true;
    }

    void unwatch(StopShared* s)
    {
        std::lock_guard<std::mutex> lock(mu);
        for (size_t i = 0; i < states.size(); ++i)
            if (states[i] == s)
            {
                states[i] = states.back();
                states.pop_back();
                s->refs.fetch_sub(1, std::memory_order_relaxed); // the state still holds one
                return;
            }
    }

    void run_started()
    {
        if (active.fetch_add(1, std::memory_order_acq_rel) == 0)
        {
            std::lock_guard<std::mutex> lock(mu); // pairs with the wait: no lost wake-up
            wake.notify_one();
        }
    }

    void run_ended() { active.fetch_sub(1, std::memory_order_acq_rel); }
};

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

// loadstring(src [, chunkname]) -> function | (nil, message). Text only: the source is always
// compiled here, so no bytecode can be smuggled in. The chunk name defaults to the source
// (messages then read [string "..."]:1:), as Luau's own runner does. The loaded chunk reads
// and writes the calling thread's globals; in a sandboxed chunk whose thread still has the
// shared read-only globals (a luaw_load'ed chunk), the caller's own global table instead.
int wrapper_loadstring(lua_State* L)
{
    size_t len = 0;
    const char* src = luaL_checklstring(L, 1, &len);
    const char* chunkname = luaL_optstring(L, 2, src);
    lua_CompileOptions options;
    std::memset(&options, 0, sizeof(options));
    options.optimizationLevel = 1;
    options.debugLevel = 1;
    options.typeInfoLevel = 1; // argument types: native code specialises on them
    size_t size = 0;
    char* bytecode = nullptr;
    try
    {
        bytecode = luau_compile(src, len, &options, &size); // may throw std::bad_alloc
    }
    catch (...)
    {
        bytecode = nullptr;
    }
    if (bytecode == nullptr)
        luaL_error(L, "not enough memory");
    // luau_load raises nothing: compile errors come back as a message.
    const int rc = luau_load(L, chunkname, bytecode, size, 0);
    std::free(bytecode);
    if (rc == 0)
        codegen_compile(L);
    if (rc != 0)
    {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    luaw_State* S = from_lua(L);
    if (S != nullptr && S->sandboxed && L->gt == S->L->gt)
    {
        lua_Debug ar;
        if (lua_getinfo(L, 1, "f", &ar))
        {
            lua_getfenv(L, -1); // the caller's globals
            lua_setfenv(L, -3);
            lua_pop(L, 1);
        }
    }
    return 1;
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

const std::string& stop_message(luaw_State* S)
{
    static const std::string cancelled = "script interrupted: cancelled";
    static const std::string deadline = "script interrupted: deadline exceeded";
    return S->stopping == LUAW_STOP_DEADLINE ? deadline : cancelled;
}

static bool stop_requested(luaw_State* S)
{
    return S->running && S->stop != nullptr &&
           S->stop->requested_gen.load(std::memory_order_acquire) == S->run_gen;
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
    if (S->stopping == 0 && stop_requested(S))
        S->stopping = S->stop->cause.load(std::memory_order_relaxed);
    if (S->stopping != 0)
        raise_stop(S, L);
    // Otherwise a request for a run that is over: nothing to do (refresh_interrupt removes it).
}

void refresh_interrupt(luaw_State* S)
{
    const bool needed = S->panicking || S->stopping != 0 || stop_requested(S);
    __atomic_store_n(&lua_callbacks(S->L)->interrupt, needed ? &vm_interrupt : nullptr, __ATOMIC_RELEASE);
}

// The state's shared block, created on first use (handles, deadlines). Null on OOM.
static StopShared* shared_of(luaw_State* S)
{
    if (S->stop == nullptr)
    {
        StopShared* shared = new (std::nothrow) StopShared();
        if (shared == nullptr)
            return nullptr;
        shared->run_gen.store(S->run_gen, std::memory_order_release);
        shared->callbacks = lua_callbacks(S->L);
        S->stop = shared; // the state's own reference
    }
    return S->stop;
}

void begin_run(luaw_State* S)
{
    S->running = true;
    S->stopping = 0;
    S->run_deadline = S->deadline;
    if (S->run_timeout != 0)
    {
        const uint64_t by_timeout = clock_ns() + S->run_timeout;
        if (S->run_deadline == 0 || by_timeout < S->run_deadline)
            S->run_deadline = by_timeout;
    }
    // Uninstall first, then publish the run: a request that sees the new run installs after.
    refresh_interrupt(S);
    S->run_gen += 1; // odd: running
    StopShared* shared = S->run_deadline != 0 ? shared_of(S) : S->stop;
    if (shared == nullptr)
        return;
    if (S->run_deadline != 0 && !S->watched)
        S->watched = Watchdog::get().watch(shared);
    shared->deadline.store(S->watched ? S->run_deadline : 0, std::memory_order_relaxed);
    shared->run_gen.store(S->run_gen, std::memory_order_release);
    if (S->run_deadline != 0 && S->watched)
    {
        if (S->run_deadline <= clock_ns())
            request_run(shared, S->run_gen, LUAW_STOP_DEADLINE); // already expired: stop at once
        Watchdog::get().run_started();
    }
}

void end_run(luaw_State* S)
{
    S->run_gen += 1; // even: idle; a late request targets a run that is over
    if (S->stop != nullptr)
    {
        S->stop->run_gen.store(S->run_gen, std::memory_order_release);
        if (S->run_deadline != 0 && S->watched)
        {
            S->stop->deadline.store(0, std::memory_order_relaxed);
            Watchdog::get().run_ended();
        }
    }
    S->running = false;
    S->stopping = 0;
    S->run_deadline = 0;
    refresh_interrupt(S);
}

// luaw_set_deadline during a run (from a host function): the watchdog sees it at its next
// round; a deadline already passed stops the run at once.
static void tighten_deadline(luaw_State* S, uint64_t deadline)
{
    if (!S->running || deadline == 0 || (S->run_deadline != 0 && S->run_deadline <= deadline))
        return;
    StopShared* shared = shared_of(S);
    if (shared == nullptr)
        return;
    if (!S->watched)
        S->watched = Watchdog::get().watch(shared);
    if (!S->watched)
        return;
    const bool was_armed = S->run_deadline != 0;
    S->run_deadline = deadline;
    shared->deadline.store(deadline, std::memory_order_release);
    if (deadline <= clock_ns())
        request_run(shared, S->run_gen, LUAW_STOP_DEADLINE);
    if (!was_armed)
        Watchdog::get().run_started();
}

void give_thread_own_globals(lua_State* co)
{
    push_own_globals(co);
    lua_replace(co, LUA_GLOBALSINDEX);
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
    lua_pushcfunction(L, wrapper_loadstring, "loadstring");
    lua_setglobal(L, "loadstring");
}

} // namespace luaw

static void release_shared(StopShared* shared)
{
    if (shared != nullptr && shared->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
        delete shared;
}

extern "C" luaw_StopHandle* luaw_stop_handle(luaw_State* S) noexcept
{
    if (S == nullptr)
        return nullptr;
    StopShared* shared = shared_of(S);
    if (shared == nullptr)
        return nullptr;
    shared->refs.fetch_add(1, std::memory_order_relaxed);
    return shared;
}

extern "C" void luaw_stop_handle_release(luaw_StopHandle* h) noexcept
{
    release_shared(h);
}

extern "C" int32_t luaw_stop_request(luaw_StopHandle* h, int32_t cause) noexcept
{
    if (h == nullptr)
        return 0;
    StopShared* s = h;
    const uint64_t gen = s->run_gen.load(std::memory_order_acquire);
    return request_run(s, gen, cause == LUAW_STOP_DEADLINE ? LUAW_STOP_DEADLINE : LUAW_STOP_CANCEL) ? 1 : 0;
}

namespace luaw {
// Called by luaw_close: the VM is gone, so handles and the watchdog must not touch it again.
void release_stop(luaw_State* S)
{
    StopShared* shared = S->stop;
    if (shared == nullptr)
        return;
    if (S->watched)
        Watchdog::get().unwatch(shared);
    {
        std::lock_guard<std::mutex> lock(shared->mu);
        shared->callbacks = nullptr;
    }
    shared->run_gen.store(0, std::memory_order_release); // never a running generation again
    S->stop = nullptr;
    release_shared(shared);
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
    tighten_deadline(S, deadline_ns);
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
    int rc = protect(S->L, [](lua_State* L) {
        luaL_sandbox(L);
        freeze_host_modules(L); // host tables registered as modules, as the globals' tables
    });
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
