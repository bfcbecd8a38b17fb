/* SPDX-License-Identifier: MIT */
/*
 * creators.h - the user names of objects' creators that were never looked up, looked up off
 * the loop when a policy needs them.
 *
 * A creator's user name is looked up at connect only under a policy with %u (conn.c), and
 * recorded with its objects. An object made under a policy without %u has none on record,
 * which is not "the creator has no name": a reload (or a start) onto a policy with %u must not
 * decide it as nameless, or a %u rule would match nothing for it and a wider rule after it
 * would govern it. reconcile() refuses such objects (orphans) until the name is known; this
 * module looks each such creator's name up in the resolver's threads (resolver.h), one
 * lookup per uid, and has each of its objects decided again when the answer comes. A name
 * service that hangs holds only those objects, never the loop.
 *
 * Not here: the lookups themselves (resolver.c), the decisions (reconcile.c).
 */
#pragma once

struct server;

/* Starts a lookup for every creator whose name @s's policy needs and nobody looked up; at
 * start and after each reload. Without memory for one, its objects stay refused until the
 * next reload (logged). */
void creators_resolve(struct server *s);

/* Drops the lookups still running (at exit): their answers are not waited for. */
void creators_cancel_all(struct server *s);
