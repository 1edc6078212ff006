// compat-wasmedge-v1 is compat-wasmedge built with WasmEdge's socket API
// v1 signatures of sock_accept, sock_getlocaladdr, sock_getpeeraddr and
// sock_recv_from (see ../compat-wasmedge/main.c).
#define WASMEDGE_V1 1
#include "../compat-wasmedge/main.c"
