/*
** luau_bench_floor.h: the benchmark floor. Raw lua_CFunctions (no trampoline, no host
** language) that the Go and Rust benchmarks register next to their own host functions and
** call from the identical Luau loop, so every benchmark reports a ratio to what Luau itself
** costs. Not part of the library's API; used only by benchmarks and their tests.
*/
#ifndef LUAU_BENCH_FLOOR_H
#define LUAU_BENCH_FLOOR_H

#include "luau_wrapper.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum luaw_FloorFunction {
    LUAW_FLOOR_NOOP = 0,          /* f() -> nothing */
    LUAW_FLOOR_ADD = 1,           /* f(a, b) -> a + b */
    LUAW_FLOOR_STRING16 = 2,      /* f() -> a 16-byte string */
    LUAW_FLOOR_ERROR = 3,         /* f() -> raises "floor error" with lua_error */
    LUAW_FLOOR_ECHO_DISTINCT = 4, /* f(s) -> a distinct string of the same length */
    LUAW_FLOOR_YIELD = 5,         /* f(...) -> yields the number 1 (lua_yield; not hookable) */
    /* OR'd into one of the above: the function first calls the hook set with
    ** luaw_floor_set_hook (an empty function of the host language exported to C), then does
    ** its work. The Go suite's "cgo_floor": what one C -> Go callback adds to the raw floor. */
    LUAW_FLOOR_HOOKED = 0x100
} luaw_FloorFunction;

/* The hook of LUAW_FLOOR_HOOKED functions: process-wide, set once before they are
** registered (registering a hooked function while no hook is set is LUAW_ERRARG). */
typedef void (*luaw_FloorHook)(void);
void luaw_floor_set_hook(luaw_FloorHook hook) LUAW_NOEXCEPT;

/* Stores raw C function `which` as global `name` (name borrowed). Protected; a status. */
int32_t luaw_floor_register(luaw_State* S, int32_t which, const char* name, size_t name_len) LUAW_NOEXCEPT;

/* Registers `count` raw C functions as globals "<prefix>1" .. "<prefix>count" in one call
** (the floor of register_1000_funcs). */
int32_t luaw_floor_register_many(luaw_State* S, int32_t which, const char* prefix, size_t prefix_len,
                                 int32_t count) LUAW_NOEXCEPT;

/* Calls the Luau function held by `ref` with one number and returns its number result,
** straight through lua_pcall (the floor of luau_call_from_host). */
int32_t luaw_floor_call_ref(luaw_State* S, int32_t ref, double arg, double* result) LUAW_NOEXCEPT;

/* Resumes the thread held by `ref` with one number, straight through lua_resume, and
** returns the number it yielded (the floor of resume_yield: the thread's loop calls a
** LUAW_FLOOR_YIELD function). LUAW_OK only when the thread yielded. */
int32_t luaw_floor_resume_ref(luaw_State* S, int32_t ref, double arg, double* yielded) LUAW_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* LUAU_BENCH_FLOOR_H */
