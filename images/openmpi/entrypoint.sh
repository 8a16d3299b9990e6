#!/bin/sh
# ppcs-entrypoint: container start-up for the ppcs openmpi node image.
# Runs under tini (PID 1) and finally execs the command (default: sshd).
#
#  1. Generates the ssh host keys when they are missing, so every container
#     has its own; the image itself ships none.
#  2. With $PPCS_OVERLAY_SUBNET (set by ppcs on its services), pins UCX
#     (MPICH's transport) to the interface of that subnet in /etc/ucx/ucx.conf:
#     a task container also has docker_gwbridge, over which other containers
#     cannot be reached, and a UCX that tries it hangs the job.
#  3. If a private key was delivered as a secret (default
#     /run/secrets/ppcs_ssh_key), installs it for mpiuser as
#     ~/.ssh/id_ed25519 and authorizes its public key, so that all nodes
#     sharing the secret can ssh to each other as mpiuser.  Without the
#     secret this step is skipped quietly.
set -eu

PPCS_USER=mpiuser
PPCS_SSH_KEY_FILE=${PPCS_SSH_KEY_FILE:-/run/secrets/ppcs_ssh_key}

log() {
    printf 'ppcs-entrypoint: %s\n' "$*" >&2
}

if [ "$(id -u)" -eq 0 ]; then
    # sshd's privilege-separation directory (gone if /run is a tmpfs)
    mkdir -p /run/sshd
    chmod 0755 /run/sshd

    # Only an ed25519 host key: generating RSA and ECDSA keys too (ssh-keygen -A)
    # costs each container most of a second of CPU, which adds up when dozens of
    # nodes start at once on a few cores. sshd is told to use this key alone.
    if [ ! -s /etc/ssh/ssh_host_ed25519_key ]; then
        ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
    fi

    # The kernel's route for the overlay subnet names its interface ("... dev eth0 ...").
    if [ -n "${PPCS_OVERLAY_SUBNET:-}" ]; then
        device=$(ip -4 -o route show to exact "$PPCS_OVERLAY_SUBNET" 2>/dev/null |
            awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
        if [ -n "$device" ]; then
            mkdir -p /etc/ucx
            printf '# written by ppcs-entrypoint: the overlay network %s\nUCX_NET_DEVICES=%s\n' \
                "$PPCS_OVERLAY_SUBNET" "$device" >/etc/ucx/ucx.conf
        else
            log "no interface routes $PPCS_OVERLAY_SUBNET: UCX is not pinned to it"
        fi
    fi

    if [ -f "$PPCS_SSH_KEY_FILE" ]; then
        home=$(getent passwd "$PPCS_USER" | cut -d: -f6)
        ssh_dir="$home/.ssh"
        key="$ssh_dir/id_ed25519"

        install -d -m 0700 -o "$PPCS_USER" -g "$PPCS_USER" "$ssh_dir"
        install -m 0600 -o "$PPCS_USER" -g "$PPCS_USER" "$PPCS_SSH_KEY_FILE" "$key"

        # -P '': never prompt; a passphrase-protected key is an error
        if ! pub=$(ssh-keygen -y -P '' -f "$key" 2>/dev/null); then
            log "$PPCS_SSH_KEY_FILE is not an unencrypted ssh private key"
            exit 1
        fi

        printf '%s\n' "$pub" >"$key.pub"
        chown "$PPCS_USER:$PPCS_USER" "$key.pub"
        chmod 0644 "$key.pub"

        auth="$ssh_dir/authorized_keys"
        touch "$auth"
        if ! grep -qxF "$pub" "$auth"; then
            printf '%s\n' "$pub" >>"$auth"
        fi
        chown "$PPCS_USER:$PPCS_USER" "$auth"
        chmod 0600 "$auth"
    fi
fi
# (not root, e.g. "docker run -u mpiuser": nothing to set up, run the command)

exec "$@"
