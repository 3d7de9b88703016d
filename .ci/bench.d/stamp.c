/*
 * The `run` program of the restart-latency benchmark (.ci/bench.d/10-jinit.sh),
 * built static so that its own start-up (about 0.2 ms) stays far below what is
 * measured: a shell and `date` would add a few milliseconds to every sample.
 *
 * In the service directory (every supervisor starts `run` there) it appends
 * "start PID NS" to ./stamps, NS being CLOCK_REALTIME in nanoseconds; signals
 * s6 readiness on fd 3 if ./notification-fd exists; then, if ./once exists,
 * exits at once (the harness's spawn reference); else waits for SIGUSR1
 * (SIGKILL in the kill case), on which it appends "exit PID NS" and exits 0:
 * the harness chooses when each run dies, so that only one does at a time.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void on_usr1(int sig) { (void)sig; }

static void stamp(const char *what, long long ns)
{
	char b[96];
	int n = snprintf(b, sizeof b, "%s %d %lld\n", what, (int)getpid(), ns);
	int fd = open("stamps", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, b, n) != n)
			_exit(111);
		close(fd);
	}
}

int main(void)
{
	stamp("start", now());
	if (access("notification-fd", F_OK) == 0) {
		if (write(3, "\n", 1) != 1)
			_exit(111);
		close(3);
	}
	if (access("once", F_OK) == 0)
		return 0;
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	signal(SIGUSR1, on_usr1);
	sigsuspend(&old); /* returns once SIGUSR1 was handled */
	stamp("exit", now());
	return 0;
}
