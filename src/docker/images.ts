/**
 * Images as program profiles: what a container runs when `docker run` gives no command, and which
 * ports the image EXPOSEs (for -P). `nginx` and `httpd` serve "It works!" on port 80 (dockwire's
 * httpd); `alpine` and `busybox` give a shell whose programs (`ping`, `nc`, `wget`, `ip`, ...) run
 * with `docker exec` or as the container's command. Deviation: no layers, no pulls, no
 * filesystem; a `sh` with nothing to read ends at once, as without `-it`.
 */

import { createHash } from "node:crypto";

export interface Image {
  /** The name as `docker ps` shows it (`nginx`, `alpine:3.20` as given). */
  name: string;
  command: string[];
  exposed: { proto: "tcp" | "udp"; port: number }[];
  /** Config.Env the image sets. */
  env: string[];
  /** Its userland is busybox's: `ping` is the busybox applet (alpine, busybox). */
  busybox?: boolean;
}

const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const PROFILES: Record<string, Omit<Image, "name">> = {
  nginx: { command: ["nginx", "-g", "daemon off;"], exposed: [{ proto: "tcp", port: 80 }], env: [PATH] },
  httpd: {
    command: ["httpd", "-p", "80"],
    exposed: [{ proto: "tcp", port: 80 }],
    env: [
      "PATH=/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "HTTPD_PREFIX=/usr/local/apache2",
    ],
  },
  alpine: { command: ["sh"], exposed: [], env: [PATH], busybox: true },
  busybox: { command: ["sh"], exposed: [], env: [PATH], busybox: true },
};

/** The image `ref` (`name[:tag]`), or undefined when there is no such image. */
export function findImage(ref: string): Image | undefined {
  const [name = "", tag] = ref.split(":");
  const profile = PROFILES[name.replace(/^(docker\.io\/)?(library\/)?/, "")];
  if (!profile || (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag))) return undefined;
  return { name: ref, ...profile };
}

/** What `docker run` prints when the image is not there (and cannot be pulled). */
export function missingImageText(ref: string): string[] {
  const [name = "", tag = "latest"] = ref.split(":");
  return [
    `Unable to find image '${name}:${tag}' locally`,
    `docker: Error response from daemon: pull access denied for ${name}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied.`,
    "See 'docker run --help'.",
  ];
}

/** `sha256:` + 64 hex: the image's id as inspect shows it (a digest of its name: no layers here). */
export function imageId(ref: string): string {
  const name = (ref.split(":")[0] ?? "").replace(/^(docker\.io\/)?(library\/)?/, "");
  return `sha256:${createHash("sha256").update(`dockwire image ${name}`).digest("hex")}`;
}
