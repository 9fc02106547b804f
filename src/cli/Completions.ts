import { bash } from "./completions/Bash.js"
import { elvish } from "./completions/Elvish.js"
import { fish } from "./completions/Fish.js"
import { model } from "./completions/Model.js"
import { powershell } from "./completions/PowerShell.js"
import { zsh } from "./completions/Zsh.js"
import type { CommandSpec } from "./Definition.js"

/**
 * Shell completion scripts for the command `trop`, generated from the same command
 * declarations as help and parsing, so they always list the real subcommands and options.
 */

/** In the order trop 0.2.0 lists them. */
export const SHELLS = ["bash", "elvish", "fish", "powershell", "zsh"] as const
export type CompletionShell = typeof SHELLS[number]

const generators: Record<CompletionShell, (m: ReturnType<typeof model>) => string> = { bash, elvish, fish, powershell, zsh }

export const script = (shell: CompletionShell, commands: ReadonlyArray<CommandSpec>): string =>
  generators[shell](model(commands))

const how: Record<CompletionShell, ReadonlyArray<string>> = {
  bash: [
    "#   trop completions bash > ~/.local/share/bash-completion/completions/trop",
    "# Or source it directly in ~/.bashrc:",
    "#   eval \"$(trop completions bash)\""
  ],
  elvish: [
    "#   trop completions elvish > ~/.config/elvish/lib/trop.elv",
    "# and add to ~/.config/elvish/rc.elv:",
    "#   use trop"
  ],
  fish: [
    "#   trop completions fish > ~/.config/fish/completions/trop.fish",
    "# Or add to config.fish:",
    "#   trop completions fish | source"
  ],
  powershell: [
    "#   trop completions powershell > $PROFILE",
    "# Or run:",
    "#   trop completions powershell | Out-String | Invoke-Expression"
  ],
  zsh: [
    "#   trop completions zsh > ~/.zsh/completions/_trop",
    "# Make sure ~/.zsh/completions is in your $fpath",
    "# Or add to ~/.zshrc:",
    "#   eval \"$(trop completions zsh)\""
  ]
}

/** The stderr instructions printed before the script. */
export const instructions = (shell: CompletionShell): ReadonlyArray<string> => [
  `# Generating ${shell} completion script`,
  "# Run the following command to enable completions:",
  ...how[shell],
  ""
]
