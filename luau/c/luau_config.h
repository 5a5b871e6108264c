/*
** luau_config.h: the one place where the ABI-relevant Luau defines live.
**
** Every translation unit that includes a Luau header (each Luau source file and every
** wrapper .cpp) must see exactly these values first: LUAI_MAXCSTACK changes the numeric
** values of LUA_REGISTRYINDEX, LUA_GLOBALSINDEX and lua_upvalueindex(), and
** LUA_VECTOR_SIZE changes the layout of a TValue. A mismatch corrupts memory silently.
**
** The native build (CMake, cargo build.rs) and Bazel force-include this header into every
** Luau translation unit (`-include luau/c/luau_config.h`); the wrapper includes it
** explicitly. luaw_build_info() reports the values so each binding can check them.
**
** This header is private to the C++ side; Go and Rust see only luau_wrapper.h.
*/
#ifndef LUAU_CONFIG_H
#define LUAU_CONFIG_H

/* Max stack slots a C function may use: Luau's own default (luaconf.h), which its conformance
** suite and Roblox run with; table.unpack and a host function's results stop there. */
#define LUAI_MAXCSTACK 8000

/* 3-component float vectors (required by Luau's native code generator). */
#define LUA_VECTOR_SIZE 3

/* Errors are C++ exceptions (luau0-src's default). Define LUAW_USE_LONGJMP=1 in the
** build to switch every translation unit to longjmp; the wrapper is correct in both. */
#if defined(LUAW_USE_LONGJMP) && LUAW_USE_LONGJMP
#define LUA_USE_LONGJMP 1
#endif

#ifdef __cplusplus
#define LUA_API extern "C"
#define LUACODE_API extern "C"
#define LUACODEGEN_API extern "C"
#else
#define LUA_API extern
#define LUACODE_API extern
#define LUACODEGEN_API extern
#endif

#endif /* LUAU_CONFIG_H */
