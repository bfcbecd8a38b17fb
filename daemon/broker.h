/* SPDX-License-Identifier: MIT */
/*
 * broker.h - one decoded request in, one reply out: names, policy, backends.
 *
 * The broker knows nothing of sockets. It takes a request and the requester's identity and
 * writes the reply packet and the fds to attach. The connection layer sends them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "identity.h"
#include "memfd.h"
#include "policy.h"
#include "protocol.h"
#include "usage.h"

struct broker {
        struct policy *policy;          /* owned; replaced whole on reload */
        int shm_dir_fd;                 /* owned */
        struct memfd_registry *memfds;  /* owned */
        struct usage_table usage;       /* connections, objects and bytes per uid */
        struct hashmap shm_ledger;      /* shm objects this daemon created: name -> charge */
};

/* Consumes @policy and @shm_dir_fd, also on failure. */
int broker_new(struct policy *policy, int shm_dir_fd, struct broker **ret);
struct broker *broker_free(struct broker *b);

/* Replaces the policy (consumed). Requests already answered keep what they got: fds cannot be
 * revoked. */
void broker_set_policy(struct broker *b, struct policy *policy);

/*
 * broker_adopt_shm() - take stock of the object directory at start: objects the policy could
 * have made are charged to their creators again; anything unexpected at a brokered name is
 * reported and left alone (an unfinished create, mode 0, is removed). Returns the number of
 * objects adopted.
 */
int broker_adopt_shm(struct broker *b);

/* Charges an object of @size bytes to @uid (re-adoption after a restart). */
int broker_charge(struct broker *b, uid_t uid, uint64_t size);

/*
 * broker_handle() - answer one request.
 * @buf, @size: where the reply packet is written (SHMB_PROTO_MSG_MAX bytes is always enough).
 * @id: the requester; its user name is looked up here, once, if the policy needs it.
 * @fds: on return, *ret_n_fds fds to attach; owned by the caller, who closes them after
 *       sending.
 *
 * Every outcome, denial included, is a reply: this returns the reply's length, or a negative
 * errno only when even an error reply cannot be built (a caller bug).
 */
int broker_handle(struct broker *b, struct identity *id,
                  const struct shmb_proto_request *req, void *buf, size_t size, int *fds,
                  size_t *ret_n_fds);
