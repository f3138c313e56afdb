#ifndef HOOKWAY_CSQLITE_SHIM_H
#define HOOKWAY_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
