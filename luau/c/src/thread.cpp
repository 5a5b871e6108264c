// Threads held by the host: create, resume (with values or an error), status, reset.
// resume_thread is also how luaw_dostring runs a chunk.
#include "internal.h"

#include <cstring>

using namespace luaw;

namespace luaw {

int32_t resume_thread(luaw_State* S, lua_State* co, int nargs, bool as_error, int32_t* nresults, luaw_Error* err)
{
    if (nresults)
        *nresults = 0;
    lua_State* from = S->current;
    const int base = lua_gettop(from);
    const bool outer = !S->running && S->host_depth == 0;
    if (outer)
        begin_run(S);
    S->traceback_capture.clear();
    const int status = as_error ? lua_resumeerror(co, from) : lua_resume(co, from, nargs);

    int32_t result;
    if (status == LUA_OK || status == LUA_YIELD)
    {
        const int n = lua_gettop(co);
        if (!has_stack_room(from, n + LUA_MINSTACK))
        {
            lua_settop(co, 0);
            result = set_error(S, err, LUAW_ERRMEM, "stack overflow", 14);
        }
        else
        {
            lua_xmove(co, from, n);
            result = conclude_ok(S, base, err);
            if (result == LUAW_OK)
            {
                if (nresults)
                    *nresults = n;
                result = status == LUA_YIELD ? LUAW_YIELD : LUAW_OK;
            }
        }
    }
    else
    {
        // The dead thread keeps its frames: the traceback starts at the function that raised,
        // and a trampoline there means the host's own error escaped every pcall in between.
        const uint64_t token = escaped_host_token(S, co, 0);
        capture_traceback(S, co, 0);
        if (!lua_checkstack(from, 1))
        {
            lua_settop(co, 0);
            lua_pushliteral(from, "stack overflow"); // LUA_MINSTACK slots are always there
        }
        else
        {
            lua_xmove(co, from, 1);
        }
        result = conclude_error(S, status, err, token);
    }
    if (outer)
        end_run(S);
    return result;
}

} // namespace luaw

static lua_State* thread_at(luaw_State* S, int32_t tidx)
{
    if (S == nullptr)
        return nullptr;
    lua_State* L = S->current;
    const int abs = valid_index(L, tidx);
    return abs != 0 && lua_type(L, abs) == LUA_TTHREAD ? lua_tothread(L, abs) : nullptr;
}

extern "C" int32_t luaw_thread_new(luaw_State* S, luaw_Error* err) noexcept
{
    if (S == nullptr)
        return set_error(S, err, LUAW_ERRARG, "luaw_thread_new: no state", 25);
    lua_State* L = S->current;
    if (lua_gettop(L) < 1 || lua_type(L, -1) != LUA_TFUNCTION)
        return set_error(S, err, LUAW_ERRARG, "luaw_thread_new: no function on top", 35);
    // The function keeps its own environment (a chunk loaded on a sandboxed state has its
    // own already); the thread's globals serve what is loaded on it (loadstring).
    int rc = protect(L, [S](lua_State* L) {
        lua_State* co = lua_newthread(L); // function, thread
        if (S->sandboxed)
        {
            // A chunk with its own globals shares them with its thread (so loadstring there
            // sees the chunk's globals); anything else gets a fresh table.
            lua_getfenv(L, -2);
            const bool own = lua_istable(L, -1) && !lua_rawequal(L, -1, LUA_GLOBALSINDEX);
            if (own)
                lua_xmove(L, co, 1);
            else
            {
                lua_pop(L, 1);
                push_own_globals(co);
            }
            lua_replace(co, LUA_GLOBALSINDEX);
        }
        lua_insert(L, -2);  // thread, function
        lua_xmove(L, co, 1); // thread; the function is the body of co
    });
    if (rc != LUA_OK)
        return conclude_error(S, rc, err);
    return set_ok(err);
}

extern "C" int32_t luaw_thread_status(luaw_State* S, int32_t tidx) noexcept
{
    lua_State* co = thread_at(S, tidx);
    if (co == nullptr)
        return -1;
    switch (lua_costatus(S->current, co))
    {
    case LUA_CORUN:
    case LUA_CONOR:
        return LUAW_THREAD_RUNNING;
    case LUA_COSUS:
        return LUAW_THREAD_SUSPENDED;
    case LUA_COFIN:
        return LUAW_THREAD_FINISHED;
    default:
        return LUAW_THREAD_ERROR;
    }
}

static int32_t resume_common(luaw_State* S, int32_t tidx, int32_t nargs, bool as_error, int32_t* nresults,
                             luaw_Error* err)
{
    if (nresults)
        *nresults = 0;
    lua_State* co = thread_at(S, tidx);
    if (co == nullptr)
        return set_error(S, err, LUAW_ERRARG, "luaw_thread_resume: not a thread", 32);
    lua_State* L = S->current;
    if (nargs < 0 || nargs > lua_gettop(L) - 1)
        return set_error(S, err, LUAW_ERRARG, "luaw_thread_resume: bad argument count", 38);
    const int st = lua_costatus(L, co);
    if (st != LUA_COSUS)
    {
        static const char* const why[] = {"running", "suspended", "normal", "finished", "dead"};
        char msg[64];
        snprintf(msg, sizeof(msg), "cannot resume %s thread", st >= 0 && st <= 4 ? why[st] : "this");
        return set_error(S, err, LUAW_ERRARG, msg, std::strlen(msg));
    }
    if (as_error && lua_status(co) != LUA_YIELD)
        return set_error(S, err, LUAW_ERRARG, "luaw_thread_resume_error: the thread has not yielded", 52);
    if (!has_stack_room(co, nargs + LUA_MINSTACK))
        return set_error(S, err, LUAW_ERRMEM, "stack overflow", 14);
    lua_xmove(L, co, nargs);
    return resume_thread(S, co, nargs, as_error, nresults, err);
}

extern "C" int32_t luaw_thread_resume(luaw_State* S, int32_t tidx, int32_t nargs, int32_t* nresults,
                                      luaw_Error* err) noexcept
{
    return resume_common(S, tidx, nargs, false, nresults, err);
}

extern "C" int32_t luaw_thread_resume_error(luaw_State* S, int32_t tidx, int32_t* nresults, luaw_Error* err) noexcept
{
    return resume_common(S, tidx, 1, true, nresults, err);
}

extern "C" int32_t luaw_thread_reset(luaw_State* S, int32_t tidx, int32_t with_function, luaw_Error* err) noexcept
{
    lua_State* co = thread_at(S, tidx);
    if (co == nullptr)
        return set_error(S, err, LUAW_ERRARG, "luaw_thread_reset: not a thread", 31);
    lua_State* L = S->current;
    const int st = lua_costatus(L, co);
    if (st == LUA_CORUN || st == LUA_CONOR)
        return set_error(S, err, LUAW_ERRBUSY, "luaw_thread_reset: the thread is running", 40);
    if (with_function && (lua_gettop(L) < 1 || lua_type(L, -1) != LUA_TFUNCTION))
        return set_error(S, err, LUAW_ERRARG, "luaw_thread_reset: no function on top", 37);
    lua_resetthread(co);
    if (S->sandboxed)
    {
        // lua_resetthread restores the shared globals: a reused thread gets fresh ones.
        int rc = protect(co, [](lua_State* co) { give_thread_own_globals(co); });
        if (rc != LUA_OK)
        {
            lua_settop(co, 0);
            return set_error(S, err, LUAW_ERRMEM, "not enough memory", 17);
        }
    }
    if (with_function)
        lua_xmove(L, co, 1);
    return set_ok(err);
}
