/* SPDX-License-Identifier: MIT */
/*
 * test-registry-race.c - finding 4 of issue 8 (unlink removes exactly the inode the registry
 * recorded) under a real race, and things planted at an object's name after it exists.
 *
 * The object directory is writable by the attacker (mode 0777, not sticky: whoever may write
 * it may rename anything in it, as in a directory an administrator opened up by mistake), and
 * the kernel's fs.protected_* sysctls are off (restored in teardown). The attacker is uid
 * 41004, in a process of its own; the test and the attacker synchronise through shared memory,
 * never by sleeping.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <acl/libacl.h>
#include <cmocka.h>
#include <sys/acl.h>

#include "macro.h"
#include "registry.h"

static uint8_t pkt[SHMB_PROTO_MSG_MAX];

static const char policy_race[] =
        "[Segment race]\n"
        "Names=race-*\n"
        "Create=41001\n"
        "ReadWrite=41001\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=64K\n";

static const struct harness_daemon_options open_dir = { .shm_dir_mode = 0777 };

static void protected_sysctls_off(void)
{
        sec_set_sysctl("/proc/sys/fs/protected_hardlinks", "0");
        sec_set_sysctl("/proc/sys/fs/protected_symlinks", "0");
        sec_set_sysctl("/proc/sys/fs/protected_regular", "0");
        sec_set_sysctl("/proc/sys/fs/protected_fifos", "0");
}

/* ------------------------------------------------------------------------------------------
 * Finding 4. Unlink after a check, raced
 */

/* Shared between the test and the attacker. */
struct race_shared {
        int go;                 /* 1: swap as fast as you can; 0: stop swapping */
        int quit;
        unsigned epoch;         /* bumped by the test with every stop */
        unsigned idle_epoch;    /* the attacker has seen go == 0 at this epoch */
        unsigned long swaps;
};

static void attacker_loop(struct race_shared *sh, int dir_fd, const char *name,
                          const char *slot)
{
        uint32_t rnd = (uint32_t) getpid() * 2654435761u | 1;

        for (;;) {
                uint32_t spin;

                if (__atomic_load_n(&sh->quit, __ATOMIC_SEQ_CST))
                        _exit(0);
                if (!__atomic_load_n(&sh->go, __ATOMIC_SEQ_CST)) {
                        __atomic_store_n(&sh->idle_epoch,
                                         __atomic_load_n(&sh->epoch, __ATOMIC_SEQ_CST),
                                         __ATOMIC_SEQ_CST);
                        continue;
                }
                /* Its own file and the object trade names, atomically: neither is ever
                 * removed by the attacker, so whatever disappears, the daemon removed. */
                if (renameat2(dir_fd, name, dir_fd, slot, RENAME_EXCHANGE) == 0)
                        __atomic_add_fetch(&sh->swaps, 1, __ATOMIC_SEQ_CST);
                /* Then a pause of random length (a few microseconds at most), so that a swap
                 * lands anywhere in the daemon's work, not only every other syscall. */
                rnd ^= rnd << 13;
                rnd ^= rnd >> 17;
                rnd ^= rnd << 5;
                for (spin = rnd % 8192; spin > 0; spin--)
                        __asm__ __volatile__("" ::: "memory");
        }
}

static pid_t attacker_start(struct race_shared *sh, const char *dir)
{
        pid_t pid;

        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int dir_fd;

                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                (void) alarm(60);
                if (tl_become(HARNESS_UID_4) < 0)
                        _exit(2);
                dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dir_fd < 0)
                        _exit(3);
                attacker_loop(sh, dir_fd, "race-x", "race-slot");
        }
        return pid;
}

/* Stops the swapping and waits until no exchange is in flight. */
static void attacker_pause(struct race_shared *sh, pid_t pid)
{
        uint64_t deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;
        unsigned e;

        __atomic_store_n(&sh->go, 0, __ATOMIC_SEQ_CST);
        e = __atomic_add_fetch(&sh->epoch, 1, __ATOMIC_SEQ_CST);
        while (__atomic_load_n(&sh->idle_epoch, __ATOMIC_SEQ_CST) != e) {
                if (tl_now_ms() >= deadline || waitpid(pid, NULL, WNOHANG) != 0)
                        fail_msg("the attacker process does not answer");
                sched_yield();
        }
}

/* Which of the two names holds @ino: 0 "race-x", 1 "race-slot", -1 neither. */
static int where(const struct harness_daemon *d, ino_t ino)
{
        struct stat st;

        if (lstat(harness_shm_path(d, "race-x"), &st) == 0 && st.st_ino == ino)
                return 0;
        if (lstat(harness_shm_path(d, "race-slot"), &st) == 0 && st.st_ino == ino)
                return 1;
        return -1;
}

/*
 * Old code: unlink checked the file at the name (owner plausible, then fstatat() against the
 * inode it had opened), then called unlinkat() on the name: a file swapped in between was
 * deleted by the daemon. Here the attacker's file lost its only link within the first hundred
 * iterations, mostly the first few.
 */
static void test_unlink_race(void **state)
{
        static const char mine[] = "the attacker's own file";
        struct race_shared *sh;
        struct harness_daemon *d;
        char slot[PATH_MAX + 300];
        unsigned long iterations = 0, removed = 0, refused = 0, attempts = 0;
        struct stat atk_st;
        uint64_t end;
        int atk_fd, conn;
        pid_t attacker;

        protected_sysctls_off();
        d = sec_start(policy_race, &open_dir);
        sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        assert_true(sh != MAP_FAILED);
        memset(sh, 0, sizeof(*sh));

        /* The attacker's file, at the slot it swaps with; we keep an fd to count its links. */
        snprintf(slot, sizeof(slot), "%s", harness_shm_path(d, "race-slot"));
        atk_fd = open(slot, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(atk_fd >= 0);
        assert_int_equal(write(atk_fd, mine, sizeof(mine) - 1), (ssize_t) sizeof(mine) - 1);
        assert_int_equal(fchown(atk_fd, HARNESS_UID_4, HARNESS_GID_3), 0);
        assert_int_equal(fstat(atk_fd, &atk_st), 0);

        attacker = attacker_start(sh, d->shm_dir);
        attacker_pause(sh, attacker);
        conn = sec_raw_connect(d, &sec_id_creator);
        end = tl_now_ms() + 1500;
        while (tl_now_ms() < end || iterations < 50) {
                struct shmb_proto_reply reply;
                struct stat obj_st, st;
                unsigned long swaps;
                int k, r = 0;
                size_t n;

                /* The creator's object at race-x, the attacker's file at race-slot. No fd of
                 * the object is kept: nobody holds it but its names (a daemon may keep a
                 * removed object charged while a client holds it). */
                n = sec_enc_create(pkt, 1, "race-x", 4096, SHMB_PROTO_ACCESS_NONE);
                assert_int_equal(sec_raw_call(conn, pkt, n, &reply, NULL), 0);
                if (reply.type != SHMB_PROTO_REPLY_OK)
                        fail_msg("iteration %lu: create: %s", iterations,
                                 strerror(reply.error));
                assert_int_equal(lstat(harness_shm_path(d, "race-x"), &obj_st), 0);

                /* Swap away while the creator removes it: the attacker is running (it has
                 * swapped once) before the request goes out. */
                swaps = __atomic_load_n(&sh->swaps, __ATOMIC_SEQ_CST);
                __atomic_store_n(&sh->go, 1, __ATOMIC_SEQ_CST);
                while (__atomic_load_n(&sh->swaps, __ATOMIC_SEQ_CST) == swaps) {
                        if (tl_now_ms() > end + HARNESS_TIMEOUT_MS)
                                fail_msg("the attacker process does not swap");
                        sched_yield();
                }
                /* Until it is done (the old code refused while a swap confused its checks,
                 * and was asked again), for a few seconds at most. */
                for (k = 0; tl_now_ms() < end + 5000; k++) {
                        n = sec_enc_name(pkt, SHMB_PROTO_UNLINK, 2, "race-x");
                        assert_int_equal(sec_raw_call(conn, pkt, n, &reply, NULL), 0);
                        attempts++;
                        r = reply.type == SHMB_PROTO_REPLY_OK ? 0 : -reply.error;
                        /* Done: it removed something, or it says there is nothing. */
                        if (r == 0 || r == -ENOENT)
                                break;
                }
                attacker_pause(sh, attacker);

                /* The attacker's file: never removed, never changed. */
                assert_int_equal(fstat(atk_fd, &st), 0);
                if (st.st_nlink != 1)
                        fail_msg("iteration %lu: the daemon deleted the attacker's file (unlink "
                                 "answered %s; %lu swaps)", iterations,
                                 r == 0 ? "OK" : strerror(-r), sh->swaps);
                assert_int_equal(st.st_uid, HARNESS_UID_4);
                assert_int_equal(st.st_size, (off_t) sizeof(mine) - 1);
                assert_true(where(d, atk_st.st_ino) >= 0);
                /* The object: removed exactly when the daemon said so (its only names are
                 * the two the attacker swaps, and the daemon's trash directory is empty). */
                k = where(d, obj_st.st_ino);
                if (r == 0) {
                        assert_int_equal(k, -1);
                        removed++;
                } else if (r == -ENOENT) {
                        /* The daemon found another file at the name, put it back and forgot
                         * the object, which is still where the attacker left it. */
                        assert_true(k >= 0);
                        assert_int_equal(unlink(harness_shm_path(d, k == 0 ? "race-x"
                                                                          : "race-slot")), 0);
                        refused++;
                } else
                        fail_msg("iteration %lu: unlink never finished: %s", iterations,
                                 strerror(-r));
                /* Back to the start: the attacker's file at the slot, nothing at race-x. */
                if (where(d, atk_st.st_ino) == 0)
                        assert_int_equal(rename(harness_shm_path(d, "race-x"), slot), 0);
                assert_int_equal(lstat(harness_shm_path(d, "race-x"), &st), -1);
                /* Nothing left in the daemon's trash directory. */
                assert_int_equal(harness_shm_entries(d, NULL, 0), 1);
                iterations++;
        }
        __atomic_store_n(&sh->quit, 1, __ATOMIC_SEQ_CST);
        assert_int_equal(waitpid(attacker, NULL, 0), attacker);
        print_message("%lu iterations, %lu unlink requests, %lu swaps: %lu times the object "
                      "was removed, %lu times another file was found and put back\n",
                      iterations, attempts, sh->swaps, removed, refused);
        /* The race was run: both outcomes happened. */
        assert_true(sh->swaps > 1000);
        assert_true(refused > 0);

        assert_int_equal(close(atk_fd), 0);
        assert_int_equal(unlink(slot), 0);
        assert_int_equal(close(conn), 0);
        assert_int_equal(munmap(sh, sizeof(*sh)), 0);
        sec_finish();
}

/*
 * The daemon's own directory for removals sits in the object directory. Someone who may write
 * the object directory can rename it away and put a directory of theirs at its name: the
 * daemon must keep using its own (it works through the fd) and never remove theirs.
 * Old code: had no such directory (nothing to swap); it fails differently: see
 * test_unlink_race.
 */
static void test_trash_dir_swapped(void **state)
{
        struct harness_daemon *d;
        char trash[PATH_MAX + 300] = "", moved[PATH_MAX + 300], theirs[PATH_MAX + 300];
        char objects[PATH_MAX];
        struct stat theirs_st, st;
        struct dirent *de;
        DIR *dir;
        int r1, r2, r3;

        protected_sysctls_off();
        d = sec_start(policy_race, &open_dir);
        dir = opendir(d->shm_dir);
        assert_non_null(dir);
        while ((de = readdir(dir)))
                if (strncmp(de->d_name, HARNESS_TRASH_PREFIX, strlen(HARNESS_TRASH_PREFIX)) == 0)
                        snprintf(trash, sizeof(trash), "%s/%s", d->shm_dir, de->d_name);
        assert_int_equal(closedir(dir), 0);
        if (!trash[0]) {
                print_message("the daemon keeps no directory for removals in the object "
                              "directory; nothing to swap\n");
                sec_finish();
                skip();
        }
        snprintf(moved, sizeof(moved), "%s/moved-away", d->shm_dir);
        snprintf(theirs, sizeof(theirs), "%s/theirs", d->shm_dir);

        /* As the attacker (the directory is 0777): theirs takes the name. */
        assert_int_equal(harness_become(&sec_id_outsider), 0);
        r1 = mkdir(theirs, 0755) < 0 ? -errno : 0;
        r2 = rename(trash, moved) < 0 ? -errno : 0;
        r3 = rename(theirs, trash) < 0 ? -errno : 0;
        harness_unbecome();
        assert_int_equal(r1, 0);
        assert_int_equal(r2, 0);
        assert_int_equal(r3, 0);
        assert_int_equal(lstat(trash, &theirs_st), 0);

        /* Removals still work, through the daemon's own directory (it holds it open). */
        reg_create_text(d, &sec_id_creator, "race-1", 4096, "one");
        assert_int_equal(sec_unlink(d, &sec_id_creator, "race-1"), 0);
        assert_int_equal(lstat(harness_shm_path(d, "race-1"), &st), -1);
        assert_int_equal(lstat(trash, &st), 0);
        assert_int_equal(st.st_ino, theirs_st.st_ino);

        /* Stopped (after-checks a and b; the directories stay for a look): theirs is still
         * there, under the name the daemon had for its own. */
        snprintf(objects, sizeof(objects), "%s", d->shm_dir);
        d->keep_shm_dir = true;
        sec_remove_later(objects);
        sec_finish_keeping_objects();
        if (lstat(trash, &st) < 0)
                fail_msg("the daemon removed '%s', a directory of uid %u's, at exit", trash,
                         (unsigned) HARNESS_UID_4);
        assert_int_equal(st.st_ino, theirs_st.st_ino);
}

/* ------------------------------------------------------------------------------------------
 * 10. Planted at the name after the object exists
 */

enum plant_kind {
        PLANT_SYMLINK,
        PLANT_FIFO,
        PLANT_HARDLINK,
        PLANT_LOOKALIKE,
};

static const char *const plant_names[] = { "a symlink", "a FIFO", "a hard link",
                                           "a look-alike file" };

/*
 * The creator's object race-N is renamed away by someone who may write the directory, and
 * something else is put at its name: a symlink to a file of the creator's elsewhere, a FIFO,
 * a hard link to another file of the creator's (owner, group and mode as the rule makes
 * them), or such a file itself. The daemon must answer as for a name without an object, never
 * block, never follow, change or remove what was planted.
 * Old code: open followed nothing but answered ELOOP for the symlink and EBADFD for the FIFO
 * (not ENOENT), and handed out the hard link and the look-alike (their owner was plausible);
 * unlink removed the hard link.
 */
static void test_planted_after_create(void **state)
{
        static const char lookalike_text[] = "not the object";
        struct harness_daemon *d;
        char victim[PATH_MAX + 300], stash[PATH_MAX + 300], name[32], path[PATH_MAX + 300];
        struct reg_names names;
        struct stat planted, st;
        unsigned k;

        protected_sysctls_off();
        d = sec_start(policy_race, &open_dir);
        /* The creator's file elsewhere: what a symlink or a hard link points at. */
        snprintf(victim, sizeof(victim), "%s/victim", d->shm_dir);
        sec_write_file(victim, lookalike_text);
        assert_int_equal(chown(victim, HARNESS_UID_1, HARNESS_GID_2), 0);
        assert_int_equal(chmod(victim, 0640), 0);

        for (k = PLANT_SYMLINK; k <= PLANT_LOOKALIKE; k++) {
                uint64_t t0;
                int r;

                snprintf(name, sizeof(name), "race-%u", k);
                snprintf(path, sizeof(path), "%s", harness_shm_path(d, name));
                snprintf(stash, sizeof(stash), "%s", harness_shm_path(d, "stash"));
                reg_create_text(d, &sec_id_creator, name, 4096, "the object");
                assert_int_equal(rename(path, stash), 0);
                switch (k) {
                case PLANT_SYMLINK:
                        assert_int_equal(symlink(victim, path), 0);
                        break;
                case PLANT_FIFO:
                        assert_int_equal(mkfifo(path, 0640), 0);
                        assert_int_equal(chown(path, HARNESS_UID_1, HARNESS_GID_2), 0);
                        break;
                case PLANT_HARDLINK:
                        assert_int_equal(link(victim, path), 0);
                        break;
                case PLANT_LOOKALIKE:
                        sec_write_file(path, lookalike_text);
                        assert_int_equal(chown(path, HARNESS_UID_1, HARNESS_GID_2), 0);
                        assert_int_equal(chmod(path, 0640), 0);
                        break;
                }
                assert_int_equal(lstat(path, &planted), 0);

                t0 = tl_now_ms();
                r = sec_open(d, &sec_id_creator, name, SHMB_ACCESS_RDWR, NULL);
                if (r != -ENOENT)
                        fail_msg("%s at the name: open answered %s", plant_names[k],
                                 r == 0 ? "with an fd" : strerror(-r));
                assert_int_equal(sec_open(d, &sec_id_reader, name, SHMB_ACCESS_RDONLY, NULL),
                                 -ENOENT);
                assert_true(tl_now_ms() - t0 < 2000);
                assert_int_equal(reg_stat(d, &sec_id_creator, name, NULL), -ENOENT);
                assert_int_equal(sec_unlink(d, &sec_id_creator, name), -ENOENT);
                assert_int_equal(sec_create(d, &sec_id_creator, name, 4096, SHMB_ACCESS_NONE,
                                            NULL), -EEXIST);
                reg_list(d, &sec_id_creator, &names);
                assert_false(reg_names_has(&names, name));
                reg_names_done(&names);

                /* What was planted, and what it points at, are as they were. */
                assert_int_equal(lstat(path, &st), 0);
                assert_int_equal(st.st_ino, planted.st_ino);
                assert_int_equal(st.st_mode, planted.st_mode);
                assert_int_equal(st.st_uid, planted.st_uid);
                reg_assert_file(victim, HARNESS_UID_1, HARNESS_GID_2, 0640);
                assert_int_equal(reg_acl_named(victim), 0);
                {
                        _cleanup_(freep) char *text = reg_file_text(victim);

                        assert_string_equal(text, lookalike_text);
                }
                assert_int_equal(unlink(path), 0);
                /* The object's inode was moved, not removed: it is still in the stash. */
                assert_int_equal(lstat(stash, &st), 0);
                assert_int_equal(unlink(stash), 0);
        }
        assert_int_equal(unlink(victim), 0);
        sec_finish();
}

const struct CMUnitTest reg_tests_race[] = {
        SEC_TEST(test_unlink_race),
        SEC_TEST(test_trash_dir_swapped),
        SEC_TEST(test_planted_after_create),
};
const size_t reg_n_tests_race = ELEMENTSOF(reg_tests_race);
