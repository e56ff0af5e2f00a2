/* On the include path of the one-header units only, ahead of the system's: a public header that
 * includes <uv.h> fails them. */
#error "a public temporal-c header included <uv.h>; it must stand without libuv's headers"
