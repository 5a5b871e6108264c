// The garbage-collector controls: Luau's lua_gc behind a non-raising entry point.
#include "internal.h"

using namespace luaw;

// The wrapper's op numbers are part of the ABI; they equal Luau's, so op passes through.
static_assert(int(LUAW_GCSTOP) == int(LUA_GCSTOP), "luaw_GCOp must match lua_GCOp");
static_assert(int(LUAW_GCRESTART) == int(LUA_GCRESTART), "luaw_GCOp must match lua_GCOp");
static_assert(int(LUAW_GCCOLLECT) == int(LUA_GCCOLLECT), "luaw_GCOp must match lua_GCOp");
static_assert(int(LUAW_GCCOUNT) == int(LUA_GCCOUNT), "luaw_GCOp must match lua_GCOp");
static_assert(int(LUAW_GCCOUNTB) == int(LUA_GCCOUNTB), "luaw_GCOp must match lua_GCOp");
static_assert(int(LUAW_GCISRUNNING) == int(LUA_GCISRUNNING), "luaw_GCOp must match lua_GCOp");
static_assert(int(LUAW_GCSTEP) == int(LUA_GCSTEP), "luaw_GCOp must match lua_GCOp");
static_assert(int(LUAW_GCSETGOAL) == int(LUA_GCSETGOAL), "luaw_GCOp must match lua_GCOp");
static_assert(int(LUAW_GCSETSTEPMUL) == int(LUA_GCSETSTEPMUL), "luaw_GCOp must match lua_GCOp");
static_assert(int(LUAW_GCSETSTEPSIZE) == int(LUA_GCSETSTEPSIZE), "luaw_GCOp must match lua_GCOp");

extern "C" int32_t luaw_gc(luaw_State* S, int32_t op, int32_t arg, int32_t* result) noexcept
{
    if (S == nullptr || op < LUAW_GCSTOP || op > LUAW_GCSETSTEPSIZE)
        return LUAW_ERRARG;
    if (arg < 0 && (op == LUAW_GCSTEP || op == LUAW_GCSETSTEPSIZE))
        return LUAW_ERRARG; // Luau would read it as a huge size
    int res = 0;
    // Collecting runs userdata destructors but allocates nothing; protect it anyway, so no
    // Luau error can ever leave this function.
    int rc = protect(S->current, [&](lua_State* L) { res = lua_gc(L, op, arg); });
    if (rc != LUA_OK)
    {
        lua_pop(S->current, 1);
        return rc;
    }
    // Luau answers 0 or 1 for a step; the contract promises exactly that.
    if (op == LUAW_GCSTEP || op == LUAW_GCISRUNNING)
        res = res != 0;
    if (result != nullptr)
        *result = res;
    return LUAW_OK;
}
