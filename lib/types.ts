/** Options of {@link createNewContainer} (SPEC §2). All are optional. */
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
  /** Published ports, host port → container port (`80` or `"53/udp"`). */
  ports?: Record<number | string, number | string>
  /** The engine's Unix socket; default: discovery (SPEC §2). */
  socketPath?: string
  /** Environment variables of the container. */
  env?: Record<string, string>
  /** Working directory (absolute). */
  workdir?: string
  /** `false` ⇒ no network at all. Default: the engine's default network. */
  network?: boolean
  /** Extra labels (keys starting with `pocket-dock.` are reserved). */
  labels?: Record<string, string>
}

/** Options of {@link AsyncContainer.run} (SPEC §3). */
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
}

/** Options of {@link AsyncContainer.shutdown}. */
export interface ShutdownOptions {
  /** Kill at once instead of asking the main process to stop. */
  force?: boolean
}
