// Native code generation (Luau CodeGen), opt-in per state.
//
// Built only when the build defines LUAW_CODEGEN=1 and compiles Luau's CodeGen component
// (CMake -DLUAW_CODEGEN=ON, the Rust crate's `codegen` feature, Bazel). Without it every
// entry point here still exists: luaw_codegen_supported() answers 0 and luaw_enable_codegen
// reports LUAW_ERRUNSUPPORTED.
//
// After luaw_enable_codegen, each chunk the wrapper loads (luaw_load, luaw_dostring,
// luaw_load_source, loadstring, modules loaded by require) is compiled natively right after
// luau_load, through codegen_compile below. Whether a state has it is Luau's own record, the
// execution callbacks' context that luau_codegen_create installs: a state that never opted
// in pays one pointer test per load, nothing per call.
#include "internal.h"

#include "lapi.h"

#if defined(LUAW_CODEGEN) && LUAW_CODEGEN
#include "luacodegen.h"
#endif

using namespace luaw;

namespace {

bool codegen_on(lua_State* L)
{
    return L->global->ecb.context != nullptr;
}

} // namespace

extern "C" int32_t luaw_codegen_supported(void) noexcept
{
#if defined(LUAW_CODEGEN) && LUAW_CODEGEN
    return luau_codegen_supported() ? 1 : 0;
#else
    return 0;
#endif
}

extern "C" int32_t luaw_enable_codegen(luaw_State* S, luaw_Error* err) noexcept
{
    if (S == nullptr)
        return set_error(S, err, LUAW_ERRARG, "luaw_enable_codegen: no state", 29);
    if (codegen_on(S->L))
        return set_ok(err);
    if (!luaw_codegen_supported())
        return set_error(S, err, LUAW_ERRUNSUPPORTED, "native code generation is not supported", 40);
#if defined(LUAW_CODEGEN) && LUAW_CODEGEN
    try
    {
        luau_codegen_create(S->L); // may throw std::bad_alloc; raises no Luau error
    }
    catch (...)
    {
        return set_error(S, err, LUAW_ERRMEM, "not enough memory", 17);
    }
    // create gives up silently when it cannot set up its executable pages.
    if (!codegen_on(S->L))
        return set_error(S, err, LUAW_ERRUNSUPPORTED, "native code generation is not supported", 40);
#endif
    return set_ok(err);
}

extern "C" int32_t luaw_codegen_enabled(luaw_State* S) noexcept
{
    return S != nullptr && codegen_on(S->L) ? 1 : 0;
}

extern "C" int32_t luaw_is_native(luaw_State* S, int32_t idx) noexcept
{
    if (S == nullptr)
        return 0;
    lua_State* L = S->current;
    if (valid_index(L, idx) == 0 || !lua_isLfunction(L, idx))
        return 0;
    const Closure* cl = clvalue(luaA_toobject(L, idx));
    return cl->l.p->execdata != nullptr ? 1 : 0;
}

void luaw::codegen_compile(lua_State* L)
{
#if defined(LUAW_CODEGEN) && LUAW_CODEGEN
    if (!codegen_on(L) || !lua_isLfunction(L, -1))
        return;
    try
    {
        // Raises no Luau error; a function it cannot compile stays interpreted.
        luau_codegen_compile(L, -1);
    }
    catch (...)
    {
        // Out of memory while compiling: the chunk runs in the interpreter, unchanged.
    }
#else
    (void)L;
#endif
}
