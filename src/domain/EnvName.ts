import * as Either from "effect/Either"
import { display, excerpt } from "./Escape.js"

/**
 * Environment-variable names for group output (docs/concepts.md). trop 0.1 printed
 * unvalidated names into `export` lines — a shell-injection hole — so every name that
 * reaches output passes `validate` first. Messages never echo the offending name.
 */

const MAX_BYTES = 255

/** Why `name` is not a portable variable name, or undefined. */
export const problem = (name: string): string | undefined => {
  if (name.length === 0) return "must not be empty and must match [A-Za-z_][A-Za-z0-9_]*"
  if (Buffer.byteLength(name, "utf8") > MAX_BYTES) return "must not exceed 255 bytes"
  if (!/^[A-Za-z_]/.test(name)) return "must start with an ASCII letter or underscore"
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return "must contain only ASCII letters, digits, and underscores"
  return undefined
}

export const DERIVATION_PROBLEM =
  "service tag cannot be converted to a portable environment-variable name; provide an explicit valid env mapping"

/** `api-v2` → `API_V2`, from the raw (untrimmed) service key; fails for non-portable tags. */
export const derive = (rawTag: string): Either.Either<string, string> => {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(rawTag)) return Either.left(DERIVATION_PROBLEM)
  const name = rawTag.toUpperCase().replaceAll("-", "_")
  return problem(name) === undefined ? Either.right(name) : Either.left(DERIVATION_PROBLEM)
}

/**
 * Names a group must never export: `eval "$(trop autoreserve)"` would let a cloned
 * repository's trop.yaml point the shell, the dynamic loader or a runtime at files of its
 * own (`PATH=47123` runs the repository's `47123/ls`). Compared without ASCII case.
 * The list and the reasons are in docs/security.md.
 */
const REFUSED_NAMES: ReadonlySet<string> = new Set([
  // shells: search paths, startup files, prompts, parsing
  "PATH", "HOME", "IFS", "ENV", "SHELL", "SHELLOPTS", "BASHOPTS", "CDPATH", "PS1", "PS2", "PS3", "PS4",
  "PROMPT_COMMAND", "PROMPT", "RPROMPT", "RPS1", "RPS2", "SPROMPT", "ZDOTDIR", "FPATH", "MODULE_PATH",
  "GLOBIGNORE", "HISTFILE", "INPUTRC", "MAIL", "MAILPATH", "MAILCHECK", "TMOUT", "PWD", "OLDPWD",
  "POSIXLY_CORRECT", "USER", "LOGNAME",
  // programs other tools start
  "EDITOR", "VISUAL", "PAGER", "MANPAGER", "BROWSER", "LESSOPEN", "LESSCLOSE",
  "SSH_ASKPASS", "SUDO_ASKPASS", "SSH_AUTH_SOCK",
  // the C library and the dynamic loader
  "GCONV_PATH", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN", "RES_OPTIONS", "RESOLV_HOST_CONF",
  "NLSPATH", "LOCPATH", "TMPDIR", "TMP", "TEMP", "TZ", "TZDIR", "TERM", "TERMINFO", "TERMINFO_DIRS",
  "TERMCAP", "LANG", "LANGUAGE",
  // language runtimes and their package managers
  "NODE_OPTIONS", "NODE_PATH", "NODE_EXTRA_CA_CERTS", "NODE_ICU_DATA", "NODE_REPL_EXTERNAL_MODULE",
  "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "CLASSPATH", "JAVA_HOME",
  "GEM_HOME", "GEM_PATH", "BUNDLE_GEMFILE", "GOPATH", "GOROOT", "GOFLAGS", "CARGO_HOME", "RUSTUP_HOME",
  // configuration directories of tools that can run commands, and TLS trust
  "GNUPGHOME", "KUBECONFIG", "DOCKER_CONFIG",
  "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE",
  "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "FTP_PROXY", "NO_PROXY"
])

/** Whole families, by prefix: `BASH_ENV` and `BASH_FUNC_*`, the loaders, locales, runtimes, Git, XDG. */
const REFUSED_PREFIXES: ReadonlyArray<string> = [
  "BASH_", "LD_", "DYLD_", "LC_", "PYTHON", "PERL", "RUBY", "NPM_CONFIG_", "GIT_", "XDG_"
]

/** Whether `name` is one a group must never export (docs/security.md); ASCII case is ignored. */
export const isRefused = (name: string): boolean => {
  const upper = name.toUpperCase()
  return REFUSED_NAMES.has(upper) || REFUSED_PREFIXES.some((prefix) => upper.startsWith(prefix))
}

const REFUSED_REASON = "it changes how a shell, the dynamic loader or a language runtime behaves"

const quotedService = (service: string) => `'${display(excerpt(service))}'`

/** The problem of a refused explicit `env`: names the service, never the variable. */
export const refusedProblem = (service: string): string =>
  `service ${quotedService(service)} may not export this variable: ${REFUSED_REASON} (see docs/security.md)`

/** The problem of a refused name derived from a service tag. */
export const refusedDerivationProblem = (service: string): string =>
  `service ${quotedService(service)} may not export the variable named after its tag: ${REFUSED_REASON}; provide an explicit env mapping (see docs/security.md)`

export const UNIQUENESS_PROBLEM = "resolved environment-variable names must be unique when compared without ASCII case"

/** Whether all names differ when ASCII case is ignored. */
export const areUnique = (names: ReadonlyArray<string>): boolean =>
  new Set(names.map((n) => n.toUpperCase())).size === names.length
