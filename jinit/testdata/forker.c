/*
 * forker N: fork N children that block reading stdin until it reaches EOF,
 * then exit; the parent exits as soon as they are forked, so the children
 * are orphans of whoever reaps for this process's subtree. Used by jinit's
 * orphan-reaping test: a plain fork costs far less than a shell's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char c;
	int i, n;

	if (argc != 2 || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: forker N\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		switch (fork()) {
		case -1:
			perror("fork");
			return 1;
		case 0:
			while (read(0, &c, 1) > 0)
				;
			_exit(0);
		}
	}
	return 0;
}
