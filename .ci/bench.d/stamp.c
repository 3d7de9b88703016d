/*
 * The `run` program of the restart-latency benchmark (.ci/bench.d/10-jinit.sh),
 * built static so that its own start-up (about 0.2 ms) stays far below what is
 * measured: a shell and `date` would add a few milliseconds to every sample.
 *
 * In the service directory (every supervisor starts `run` there) it appends
 * "start PID NS" to ./stamps, NS being CLOCK_REALTIME in nanoseconds; signals
 * s6 readiness on fd 3 if ./notification-fd exists; then, if ./kill exists,
 * waits to be killed; if ./once exists, exits at once (the harness's spawn
 * reference); else lives 1.5 s, appends "exit PID NS" and exits 0.
 */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

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
	if (access("kill", F_OK) == 0)
		for (;;)
			pause();
	struct timespec live = {1, 500000000};
	while (nanosleep(&live, &live) != 0)
		;
	stamp("exit", now());
	return 0;
}
