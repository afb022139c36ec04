# Source this (`. scripts/pulumi-env.sh`) to run the Pulumi CLI that `make pulumi` builds, offline: its bin
# directory first on PATH, no update check, no automatic plugin download. A backend (`pulumi login file://...`)
# and PULUMI_CONFIG_PASSPHRASE stay yours to set.
_pulumi_env_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
case ":$PATH:" in
  *":$_pulumi_env_root/.tools/pulumi/bin:"*) ;;
  *) export PATH="$_pulumi_env_root/.tools/pulumi/bin:$PATH" ;;
esac
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
unset _pulumi_env_root
