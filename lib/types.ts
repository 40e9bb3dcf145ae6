/** Options of {@link createNewContainer}. All are optional. */
export interface CreateOptions {
  /** Image name or id. Default `pocket-dock/minimal-python`. Never pulled implicitly. */
  image?: string
  /** Container name. Default `pd-<8 hex>`. */
  name?: string
  /** Default per-command timeout in seconds (default 30; `Infinity` = none). */
  timeout?: number
  /** Memory limit: `"256m"`, `"1g"`, `"512k"`, or bytes. */
  memLimit?: string | number
  /** CPU limit, 1–100 percent of one core. */
  cpuPercent?: number
  /** Keep the container (stopped) after `shutdown()`. Default false. */
  persist?: boolean
  /** Bind mounts, host path → container path (append `:ro` for read-only). */
  volumes?: Record<string, string>
  /** Project name, recorded as a label. */
  project?: string
  /** Profile name, recorded as a label. */
  profile?: string
  /** Host devices to pass through, e.g. `["/dev/ttyUSB0"]`. */
  devices?: string[]
  /**
   * Published ports, host port → container port (`80` or `"53/udp"`). Host
   * port `0`, or a list of container ports (`[80, "53/udp"]`), publishes on
   * free host ports: read them back from `info().ports`.
   */
  ports?: Record<number | string, number | string> | Array<number | string>
  /** The engine's Unix socket; default: discovery. */
  socketPath?: string
  /** Environment variables of the container. */
  env?: Record<string, string>
  /** Working directory (absolute). */
  workdir?: string
  /** `false` ⇒ no network at all. Default: the engine's default network. */
  network?: boolean
  /** Extra labels (keys starting with `pocket-dock.` are reserved). */
  labels?: Record<string, string>
  /** Most processes at once (default 1024, a fork-bomb guard); `Infinity` = no limit. */
  pidsLimit?: number
  /** Run an init as PID 1 so signals and zombie reaping work (default true; Podman needs `catatonit`). */
  init?: boolean
  /** Forbid gaining privileges through setuid binaries or file capabilities (default true). */
  noNewPrivileges?: boolean
  /**
   * A read-only root file system (default false); `/tmp`, `/home/sandbox` and
   * `workdir` stay writable as tmpfs (their contents are lost on reboot).
   */
  readOnly?: boolean
}

/** The engine socket to use (default: discovery). */
export interface SocketOptions {
  socketPath?: string
}

/** Options of {@link resumeContainer}. */
export interface ResumeOptions extends SocketOptions {
  /** Default per-command timeout in seconds; default: what the container was created with. */
  timeout?: number
}

/** Options of {@link listContainers} and {@link prune}. */
export interface ProjectOptions extends SocketOptions {
  /** Only the containers of this project. */
  project?: string
}

/** Options of {@link AsyncContainer.reboot}. */
export interface RebootOptions {
  /** Recreate from the image with the same name and configuration (files are lost). Default: restart in place. */
  fresh?: boolean
}

/** One process of {@link ContainerInfo.processes}. */
export interface ProcessInfo {
  /** The engine's view of the pid: the host's on Docker, the container's on Podman. */
  pid: number
  user: string
  command: string
}

/** What {@link AsyncContainer.info} reports, read live from the engine. */
export interface ContainerInfo {
  id: string
  name: string
  /** `running`, `exited`, `created`, `paused`, … */
  status: string
  image: string
  createdAt: Date
  /** When it last started; `null` when it is not running. */
  startedAt: Date | null
  /** Milliseconds since it last started (0 when not running). */
  uptime: number
  /** Memory in use without reclaimable cache, as text (`"1.2 MiB"`). */
  memoryUsage: string
  memoryUsageBytes: number
  /** The memory limit as text; without a limit, the engine's whole memory. */
  memoryLimit: string
  memoryLimitBytes: number
  memoryPercent: number
  /** CPU use over a 0.1 s sample, in percent of one core. */
  cpuPercent: number
  /** Processes (and threads) in the container. */
  pids: number
  /** Whether it has a network beyond loopback. */
  network: boolean
  ipAddress: string | null
  /** Published ports: container port (`"80"`, `"53/udp"`) → host port. */
  ports: Record<string, number>
  processes: ProcessInfo[]
  /**
   * How a command's processes are found when it is killed (timeout, abort,
   * `kill()`, `reboot()`):
   * - `'subreaper'`: every command runs under pocket-dock's small runner,
   *   placed into the container when it is created; whatever the command
   *   starts stays in its tree (even through `setsid`, a double fork or
   *   `env -i`) and is killed with it.
   * - `'marker'`: the fallback where the runner could not be placed (a
   *   read-only root file system on Docker, a foreign architecture, no runner
   *   for this platform): processes carrying the command's environment marker
   *   and their process groups are killed; one that starts a new session and
   *   clears its environment escapes.
   */
  killMode: 'subreaper' | 'marker'
}

/** One entry of {@link listContainers}. */
export interface ContainerListItem {
  id: string
  name: string
  /** `running`, `exited`, `created`, … */
  status: string
  image: string
  createdAt: Date
  persist: boolean
  project: string | null
}

/** Options of {@link AsyncContainer.run}. */
export interface RunOptions {
  /** Seconds before the command is killed; default the container's `timeout`. */
  timeout?: number
  /** Bytes of stdout+stderr kept (default 10 MiB); the rest is dropped and `truncated` set. */
  maxOutput?: number
  /** `"sh"` (default, `sh -c`), `"bash"`, `"python"` (`python3 -c`) or `"node"` (`node -e`). */
  lang?: 'sh' | 'bash' | 'python' | 'node'
  /** Extra environment variables for this command. */
  env?: Record<string, string>
  /** Working directory (absolute) for this command. */
  workdir?: string
  /** User (name or uid[:gid]) to run as. */
  user?: string
  /** Fed to the command's stdin, which is then closed. */
  stdin?: string | Uint8Array
  /** Aborting kills the command inside the container and rejects with `AbortError`. */
  signal?: AbortSignal
  /** Streaming mode: resolve at once with an `AsyncExecStream` (not with `detach`). */
  stream?: boolean
  /** Detached mode: resolve at once with an `AsyncProcess` (not with `stream`). Only an explicit `timeout` applies. */
  detach?: boolean
  /**
   * When the command exits, kill whatever it left running in the background
   * (its whole process tree). Default `false`: `run('server &')` keeps the
   * server running after `run()` returns.
   */
  killLeftovers?: boolean
}

/** Options of {@link AsyncContainer.shutdown}. */
export interface ShutdownOptions {
  /** Kill at once instead of asking the main process to stop. */
  force?: boolean
}
