// SPDX-License-Identifier: GPL-2.0
/*
 * The one instance of gmem's trace events (gmem_trace.h): the
 * tracepoints, their tracefs formats and their print handlers.
 */
#define CREATE_TRACE_POINTS
#include "gmem_trace.h"
