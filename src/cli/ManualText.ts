/**
 * The hand-written prose of trop's manual: docs/cli.md and the man page trop.1 are generated
 * from the command declarations (options, arguments, help strings) plus this text
 * (src/cli/Manual.ts). Edit the words here, then run `npm run docs`.
 *
 * The text is a small subset of Markdown that both renderers understand: paragraphs,
 * `- ` bullet lists (continuation lines indented by two spaces), fenced code blocks, and
 * inline `code`, **bold**, *emphasis* and [links](page.md). Links are relative to docs/.
 * Keep it ASCII: the man page is plain roff.
 *
 * Not imported by the CLI (it would only grow the bundle); only Manual.ts reads it.
 */

/** What trop is, before the command list. */
export const INTRODUCTION = `trop hands out TCP/UDP ports that stay the same for a directory. \`trop reserve\` run in
a directory prints a port; run again in the same directory it prints the same port, and no
other directory sharing the same data directory ever gets that port. Several agents,
developers or CI jobs working in separate git worktrees of one project can therefore start
their dev servers side by side without hard-coding ports and without colliding.

Reservations live in a SQLite database (\`~/.trop/trop.db\` by default) that every trop
process of the user shares safely; trop 0.2.0 can use the same database. Before a new port is
handed out, trop checks that nothing is listening on it, and it skips the ports you
excluded. Reservations of directories that no longer exist, or that were not used for a
month, are cleaned up.

\`\`\`sh
PORT=$(trop reserve)              # this directory's port, the same one every time
API=$(trop reserve --tag api)     # a second, distinct port for the same directory
trop exec -- npm run dev          # run a command with PORT set to that port
eval "$(trop autoreserve)"        # one variable per service of ./trop.yaml
\`\`\`

How allocation, paths, groups, cleanup and exclusions work is explained in
[concepts.md](concepts.md); configuration files, \`TROP_*\` variables and exit codes in
[configuration.md](configuration.md); the database in [database.md](database.md).`

/** A general section of the manual (after the global options). */
export interface Section {
  readonly title: string
  readonly body: string
}

/** How the command line works, for every command. */
export const GENERAL: ReadonlyArray<Section> = [
  {
    title: "Giving options",
    body: `Options are long (\`--tag web\` or \`--tag=web\`); the only short ones are \`-h\` (help)
and \`-V\` (version). The global options may come before or after the command name:
\`trop --data-dir /tmp/d list\` and \`trop list --data-dir /tmp/d\` are the same, and when both
are given the one after the command wins. A command's own options come after its name.

An unknown option, a missing or malformed value, an option given twice, or two options that
exclude each other is a usage error: trop prints what is wrong and a usage line on stderr and
exits 4, without doing anything. A value that starts with \`-\` must be attached with \`=\`
(\`--tag=-x\`). Numbers are plain unsigned decimals (\`+\` in front is tolerated).

\`trop help COMMAND\`, \`trop COMMAND --help\` and \`trop --help\` print help on stdout; \`trop\` with no
command prints the same help on stderr and exits 4. Help never contains color codes.`
  },
  {
    title: "Output",
    body: `stdout carries only the result (a port, a list, a group's variables), so it can be
captured: \`PORT=$(trop reserve)\`. Progress messages, warnings and errors go to stderr. An
error is reported on stderr in a line starting with \`Error:\` (a usage error: with the
usage line), possibly followed by a \`hint:\` line naming the fix, and trop exits with the
code of its kind (see [Exit status](#exit-status)); stdout then stays empty.
When the reader of stdout goes away (\`trop list | head -1\`), trop stops quietly.

\`--quiet\` suppresses informational messages and warnings, never results and never errors.
\`--verbose\` makes \`prune\`, \`expire\` and \`autoclean\` list what they removed, and turns on
diagnostic logging: lines starting with \`[trop]\` on stderr that name the configuration files
read, the data directory, the plan and timings (\`TROP_LOG_MODE=verbose\` does the same
logging). Several commands also take \`--format json\`, which reports on stdout what was done
as JSON instead of the messages. The exact output of each command is described in
[output-formats.md](output-formats.md).`
  },
  {
    title: "Dry runs",
    body: `\`--dry-run\` of \`reserve\`, \`release\`, \`reserve-group\`, \`autoreserve\`, \`prune\`,
\`expire\`, \`autoclean\` and \`migrate\` computes the real plan, with the same checks and the
same errors as the real run, inside a database transaction that is then rolled back, and
prints it on stderr: which port would be reserved, which reservations deleted. A dry run never
creates the data directory or the database; without a database it plans against an empty
set of reservations. \`init --dry-run\` and \`compact-exclusions --dry-run\` print on stdout
what they would do and change nothing.`
  }
]

/** What each command does, after its options. Every command of the CLI has an entry. */
export const COMMANDS: Readonly<Record<string, string>> = {
  reserve: `Prints the port reserved for a directory (the working directory unless \`--path\` is
given) and a tag (none unless \`--tag\` is given). The first call allocates a port; later
calls return the same port and record that it was used. \`--tag\` gives one directory several
ports (\`--tag web\`, \`--tag db\`); the untagged reservation is distinct from every tagged one.

A new port is the preferred port \`--port\` when it is free (anywhere in 1..65535), otherwise
the lowest port of the range (5000-7000 unless configured, or \`--min\`/\`--max\`) that is not
reserved, not excluded and not in use. If the range is full, trop removes reservations of
deleted directories and reservations unused for the expiry period, and tries once more
(\`--disable-autoprune\`, \`--disable-autoexpire\`, \`--disable-autoclean\` turn that off). Details:
[concepts.md](concepts.md).

An existing reservation keeps its port: a different \`--port\` is not granted. \`--overwrite\`
allocates again; \`--force\` also bypasses the guards (path relationship, project/task changes,
an occupied or excluded preferred port). Each reservation records a project and a task
(given with \`--project\`/\`--task\`, from configuration or \`TROP_TASK\`, or guessed from git);
changing them on an existing reservation needs \`--allow-project-change\`,
\`--allow-task-change\`, \`--allow-change\` or \`--force\`. A \`--path\` that is neither the working
directory nor one of its ancestors or descendants needs \`--allow-unrelated-path\`.

The port is printed on stdout, warnings on stderr. A preferred port that could not be
granted is explained by a warning.

\`\`\`sh
PORT=$(trop reserve)
trop reserve --tag api --port 8080
trop reserve --path ../other --allow-unrelated-path
\`\`\``,
  release: `Deletes reservations of a directory (the working directory unless \`--path\` is given):
all of its reservations, or only the one of \`--tag\`, or only the untagged one
(\`--untagged-only\`). \`--recursive\` does the same for every directory below it as well.
\`--port\` instead releases whichever reservation holds that port. Releasing something that does not exist succeeds with a warning, so \`release\` can be
repeated safely. The path relationship guard of \`reserve\` applies (\`--force\` or
\`--allow-unrelated-path\` bypass it); project and task are not checked.

\`\`\`sh
trop release                          # every reservation of this directory
trop release --tag api
trop release --recursive --path ~/w   # ... and of every directory below ~/w
\`\`\``,
  list: `Prints every reservation, ordered by path and then tag. The default table has the
header \`PORT PATH TAG PROJECT TASK CREATED_AT LAST_USED_AT\`; its columns are padded to line up
when stdout is a terminal and separated by single tabs otherwise (piped, as trop 0.2.0). Paths under
the home directory are shortened to \`~/...\` unless \`--show-full-paths\` is given.
\`--format json\`, \`csv\` and \`tsv\` print the same rows for programs (full paths, empty values as
\`null\` or empty fields). The filters combine: \`--filter-project\` and \`--filter-tag\` match
exactly, \`--filter-path\` keeps a directory and everything below it. Times are UTC,
\`YYYY-MM-DD HH:MM:SS\`. The default format can be configured (\`output_format\`,
\`TROP_OUTPUT_FORMAT\`).`,
  "reserve-group": `Reserves the ports of a group of services defined in a configuration file, all
at once: either every service gets its port or nothing changes. The group is the
\`reservations\` block of the file (see [configuration.md](configuration.md)); its ports are
reserved for the directory that holds the file, one reservation per service tag.

A service with a \`preferred\` port gets it when it is free. The others keep their \`offset\`
from a common base: trop looks for the lowest base in the range for which every such service
is free. Running the command again returns the same ports. When the stored group no longer
matches the file (a service added or removed, a changed offset), the command fails unless
\`--force\` replaces the whole group.

stdout is one line per service, sorted by tag, in the shape \`--format\` asks for: \`export\`
(shell assignments; the shell is \`--shell\` or detected from the environment), \`dotenv\`,
\`json\` (tag to port) or \`human\`. Each service's variable is its \`env\`, or its tag upper-cased
with \`-\` turned into \`_\`. The variable names are checked: names that change how a shell
or program runs (\`PATH\`, \`LD_PRELOAD\`, ...) are refused ([security.md](security.md)).

\`\`\`sh
eval "$(trop reserve-group services.yaml)"
trop reserve-group trop.yaml --format json
\`\`\``,
  autoreserve: `Does what \`reserve-group\` does for the configuration trop finds itself: the
\`trop.yaml\`/\`trop.local.yaml\` of the working directory or of the nearest directory above it
that has one. The file used is named on stderr. Without a project file the command fails
(exit 4); with one that defines no group, it fails with exit 6.

\`\`\`sh
eval "$(trop autoreserve)"
\`\`\``,
  exec: `Reserves a port as \`reserve\` does (with the same options, except \`--dry-run\`), then
runs COMMAND with the port in the environment variable \`PORT\` (or the one \`--env\` names),
and exits with the command's status (128+n when a signal ended it). With \`--group\` it
reserves a group as \`autoreserve\` (or, with a file, \`reserve-group\`) does and sets every
service's variable instead. The command inherits stdin, stdout and stderr; SIGINT, SIGTERM
and SIGHUP are passed on to it. No shell is involved. The reservation stays afterwards unless
\`--release\` is given. Full description: [exec.md](exec.md).

\`\`\`sh
trop exec -- npm run dev
trop exec --tag api --env API_PORT -- node api.js
trop exec --group --release -- ./start-all
\`\`\``,
  prune: `Deletes the reservations whose directory no longer exists (or is not a directory
any more). A path that cannot be inspected (permission denied, a symlink loop, a stale
mount) is kept, with a warning that says why and what to do. stderr reports how many were
removed; with \`--quiet\`, stdout gets only the number (and nothing when it is 0).`,
  expire: `Deletes the reservations that were not used (reserved, refreshed) for more than
\`--days\` days, by default the configured \`cleanup.expire_after_days\` (30). Output as for
\`prune\`.`,
  autoclean: `\`prune\` and \`expire\` in one transaction. A reservation that qualifies for both is
counted once, as pruned.`,
  "assert-reservation": `Succeeds (exit 0) when the directory (the working directory unless
\`--path\` is given) has a reservation for the tag, and prints its port; fails with exit 1
otherwise. \`--not\` inverts the check. The reservation is not refreshed, so the check
suits scripts and health checks.`,
  "assert-port": `Succeeds when PORT is reserved by any directory, fails with exit 1 otherwise
(\`--not\` inverts). Only the database is consulted, not the network.`,
  "assert-data-dir": `Succeeds when the data directory exists, fails with exit 1 otherwise
(\`--not\` inverts). It never creates anything. \`--validate\` also checks the database read-only:
the schema exactly as trop 0.2.0 defines it, every stored row, and SQLite's own integrity
check; any problem is reported with exit 6 (also with \`--not\`). See
[database.md](database.md).`,
  "port-info": `Prints what the database knows about PORT: the directory, tag, project, task and
times of its reservation, and whether the directory still exists; or that it is not
reserved. \`--include-occupancy\` also probes the port and lists, for each socket found on it,
protocol, address family, address and, where the system tells, the owning process and user.
The probe options need \`--include-occupancy\`.`,
  "show-data-dir": `Prints the data directory trop uses: \`--data-dir\`, else \`TROP_DATA_DIR\`, else
\`~/.trop\`. It does not need to exist.`,
  "show-path": `Prints the path a reservation would be made for: the canonical working directory
(symlinks resolved), or \`--path\` normalized as written (made absolute, \`~\` expanded, \`.\` and
\`..\` resolved, symlinks kept). \`--canonicalize\` resolves symlinks in \`--path\` too; the path
must then exist.`,
  scan: `Probes every port of the range (or of \`--min\`..\`--max\`) and lists those in use, one
row per socket found, with whether trop has the port reserved and, where the system tells,
the owning process. \`--format\` chooses a table, \`json\`, \`csv\` or \`tsv\`. A closing line on
stderr counts the occupied ports trop has not reserved (printed even with \`--quiet\`). \`--autoexclude\` adds those ports to the
exclusions of the project's configuration file (or, without one, of the user's
\`config.yaml\`) so that trop never hands them out; \`--autocompact\` then compacts that list.`,
  validate: `Checks one configuration file without merging it with anything: YAML syntax,
known keys, value types and the rules between values (for example \`ports.max\` >= \`ports.min\`).
A file named \`config.yaml\` is checked as a user configuration, any other name as a project
file. Every problem is reported on stderr, and the exit status is 1; a valid file prints
\`Configuration is valid\`.`,
  exclude: `Adds a port (\`8080\`) or an inclusive range (\`8080..8090\`) to the exclusions of the
project's configuration file (\`trop.local.yaml\` if there is one, else \`trop.yaml\`), or with
\`--global\` to the user's \`config.yaml\`. trop never allocates an excluded port. The entry is
merged with entries it overlaps or touches; only the \`excluded_ports\` list of the file
changes, comments and formatting elsewhere stay as they were. A port that is already
reserved is refused unless \`--force\` is given. Without a project file and without
\`--global\` the command fails (exit 4).`,
  "compact-exclusions": `Rewrites the \`excluded_ports\` list of the configuration file PATH as the
fewest entries covering exactly the same ports, sorted (single ports as numbers, runs as
ranges). The file is left alone when that would not reduce the number of entries; otherwise
only the list is edited in place.`,
  init: `Creates the data directory and an empty database. Other commands do this on first use
anyway (unless auto-init is disabled), so \`init\` is for setting up a data directory on
purpose. An existing database is left alone (exit 6) unless \`--overwrite\` is given, which
empties it: every reservation is lost. \`--with-config\` also writes a commented
\`config.yaml\` template if there is none.`,
  "list-projects": `Prints every project name recorded in reservations, once each, sorted.`,
  migrate: `Moves reservations from one path to another, keeping their ports, tags, projects,
tasks and times: for a renamed or moved directory. \`--recursive\` also moves the reservations
of every directory below \`--from\`, to the same place below \`--to\`. Reservations already at the
destination are a conflict unless \`--force\` replaces them; a destination inside the set being
moved is always refused. Everything moves in one transaction. The plan and the result are
printed on stderr; with \`--quiet\`, stdout gets the destination path.

\`\`\`sh
trop migrate --from ~/old/app --to ~/new/app --recursive
\`\`\``,
  completions: `Prints a completion script for the shell on stdout, and on stderr how to install
it. The script completes commands, options, option values and file names.

\`\`\`sh
trop completions bash > ~/.local/share/bash-completion/completions/trop
trop completions zsh > ~/.zsh/completions/_trop       # a directory in $fpath
trop completions fish > ~/.config/fish/completions/trop.fish
\`\`\``
}

/** `trop help`, which the parser (Argv.ts) handles rather than a declaration. */
export const HELP_COMMAND = {
  usage: "trop help [COMMAND]",
  description: "Print this message or the help of the given subcommand(s)",
  body: "Prints the help of trop, or of COMMAND, on stdout."
}

/**
 * The environment variables trop reads, one line each; configuration.md has the details
 * (values, aliases, errors). A test checks that every `TROP_*` name in src/ is listed here.
 */
export const ENVIRONMENT: ReadonlyArray<readonly [string, string]> = [
  ["TROP_DATA_DIR", "The data directory, when `--data-dir` is not given (default `~/.trop`)."],
  ["TROP_PATH", "The directory of `reserve`, `release`, `assert-reservation` and `exec` when `--path` is not given."],
  ["TROP_TASK", "The task recorded with reservations, when `--task` is not given."],
  ["TROP_PROJECT", "The project recorded with reservations (configuration key `project`)."],
  ["TROP_PORT_MIN, TROP_PORT_MAX, TROP_PORT_MAX_OFFSET", "The port range (`ports.min`, `ports.max`, `ports.max_offset`)."],
  ["TROP_EXCLUDED_PORTS", "More excluded ports, comma-separated (`5432,8000..8010`), added to those of the files."],
  ["TROP_EXPIRE_AFTER_DAYS", "Days without use after which a reservation expires (`cleanup.expire_after_days`)."],
  [
    "TROP_BUSY_TIMEOUT (or TROP_MAXIMUM_LOCK_WAIT_SECONDS)",
    "How long to wait for the database lock, in seconds (`maximum_lock_wait_seconds`)."
  ],
  ["TROP_OUTPUT_FORMAT", "The default format of `list`: table, json, csv or tsv (`output_format`)."],
  [
    "TROP_DISABLE_AUTOINIT, TROP_DISABLE_AUTOPRUNE, TROP_DISABLE_AUTOEXPIRE",
    "Booleans: do not create a missing database; do not prune or expire automatically when the range is full."
  ],
  [
    "TROP_ALLOW_UNRELATED_PATH, TROP_ALLOW_PROJECT_CHANGE, TROP_ALLOW_TASK_CHANGE, TROP_ALLOW_CHANGE",
    "Booleans that relax the path guard and the project/task checks, like the `--allow-*` options " +
    "(TROP_ALLOW_CHANGE_PROJECT and TROP_ALLOW_CHANGE_TASK are accepted as aliases)."
  ],
  [
    "TROP_SKIP_OCCUPANCY_CHECK, TROP_SKIP_TCP, TROP_SKIP_UDP, TROP_SKIP_IPV4, TROP_SKIP_IPV6, TROP_CHECK_ALL_INTERFACES",
    "Booleans that shape the occupancy probes (`occupancy_check`)."
  ],
  ["TROP_LOG_MODE", "`verbose` turns on diagnostic logging on stderr, like `--verbose`."],
  ["HOME", "The default data directory is `$HOME/.trop`; `~` in paths means `$HOME`."],
  [
    "SHELL, ZSH_VERSION, FISH_VERSION, PSModulePath",
    "Which shell `--format export` writes for when `--shell` is not given."
  ]
]

/** The files trop reads and writes. */
export const FILES: ReadonlyArray<readonly [string, string]> = [
  ["~/.trop/trop.db", "The reservations (SQLite, with `trop.db-wal` and `trop.db-shm` beside it); shared with trop 0.2.0."],
  ["~/.trop/config.yaml", "The user's configuration: the lowest-precedence file."],
  ["trop.yaml", "A project's configuration, found in the working directory or the nearest directory above it."],
  ["trop.local.yaml", "A private overlay next to `trop.yaml`, taking precedence over it."]
]

/** The exit codes and what they mean. A test checks them against src/cli/Exit.ts. */
export const EXIT_STATUS: ReadonlyArray<readonly [number, string]> = [
  [0, "Success (also: nothing to release, nothing to clean up)."],
  [
    1,
    "A check said no: an assertion failed, `validate` found problems, a project/task change " +
    "was not allowed, or a path is unrelated to the working directory."
  ],
  [2, "The database stayed locked by another process for the whole busy timeout: retry later."],
  [3, "The database does not exist and auto-init is disabled."],
  [4, "Bad command line: unknown command or option, invalid or conflicting values."],
  [5, "I/O error of the command itself (reading or writing a file it was given, the working directory)."],
  [
    6,
    "Any other error: range exhausted, conflicting reservation, database corruption or " +
    "unsupported schema, path not found, internal error."
  ],
  [7, "Configuration error: an invalid configuration file, `TROP_*` variable or setting."]
]

/** Where to read on. */
export const SEE_ALSO = `The documentation in the package's \`docs/\` directory: [README.md](README.md) (index),
[concepts.md](concepts.md), [configuration.md](configuration.md), [database.md](database.md),
[exec.md](exec.md), [output-formats.md](output-formats.md), [compatibility.md](compatibility.md),
[library.md](library.md), [security.md](security.md).`
