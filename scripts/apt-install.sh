# Sourced by the test scripts: `apt_install PACKAGE...` installs Debian packages the tests need,
# as root or through `sudo -n` (never a password prompt: CI has no stdin).
apt_install() {
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
      printf 'need root or sudo to apt-get install %s\n' "$*" >&2
      return 1
    fi
    sudo=(sudo -n) # -n: fail rather than prompt for a password
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}
