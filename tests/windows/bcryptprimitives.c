/* Wine 8 has no bcryptprimitives.dll, whose ProcessPrng is how Rust's standard library gets random
 * bytes on Windows 10+. This stand-in, placed beside the .exe under test, forwards it to
 * BCryptGenRandom with the system RNG, which Wine has. Only for running tests under Wine. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0;
}
