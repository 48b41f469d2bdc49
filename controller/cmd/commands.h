/* commands: the subcommands of the valkey-bench binary.
 * Each is `int cmd_<name>(int argc, char **argv)` with argv[0] == "<name>", returning
 * the process exit code (0 success, 1 failure of the job, 2 usage error). */
#ifndef VB_CMD_COMMANDS_H
#define VB_CMD_COMMANDS_H

typedef struct command {
    const char *name;
    const char *summary;
    int (*main)(int argc, char **argv);
} command;

/* The table lives in main.c; adding a subcommand is one line there. */
extern const command commands[];

#endif
