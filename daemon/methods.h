/*
 * methods.h - the write methods, by name (methods.c).
 */
#ifndef KD_METHODS_H
#define KD_METHODS_H

#include "writer.h"

/* A write method: its name, and what decides and (in memory) commits one call of it. */
typedef struct kd_write_method {
	const char *name;
	void (*run)(kd_writer *w, kd_call *call);
} kd_write_method;

/* The write method called `name`, or NULL. */
const kd_write_method *kd_write_method_find(const char *name);

#endif
