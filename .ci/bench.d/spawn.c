/*
 * The spawn reference of the restart-latency benchmark (.ci/bench.d/10-jinit.sh):
 * what starting a process costs on this machine with no supervisor involved.
 * `spawn N`, in a directory holding the stamp program as ./run and a file
 * ./once, N times: takes CLOCK_REALTIME, posix_spawn()s ./run (vfork + exec,
 * as a lean supervisor would), prints "parent 0 NS" and waits for it. The
 * program's own start stamp minus NS is the cost of one spawn.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
	for (int i = 0; i < n; i++) {
		struct timespec t;
		char *args[] = {"./run", NULL};
		pid_t pid;
		clock_gettime(CLOCK_REALTIME, &t);
		if (posix_spawn(&pid, "./run", NULL, NULL, args, environ) != 0)
			return 1;
		printf("parent 0 %lld\n", t.tv_sec * 1000000000LL + t.tv_nsec);
		fflush(stdout);
		if (waitpid(pid, NULL, 0) != pid)
			return 1;
	}
	return 0;
}
