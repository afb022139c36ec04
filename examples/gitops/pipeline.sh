#!/usr/bin/env bash
# The GitOps pipeline's two steps, as the workflow (.github/workflows/pulumi.yml) and a test runner call them:
#   pipeline.sh preview <project-dir>   on a pull request: `pulumi preview --diff` of the checked-out commit; its
#                                       text goes to $PREVIEW_FILE (what a bot would post on the pull request)
#   pipeline.sh up <project-dir>        on merge: `pulumi up --yes`
#   pipeline.sh destroy <project-dir>   by hand, when the stack is retired: `pulumi destroy --yes`
# Both run the Pulumi CLI through `tfgrid local deploy` (the Automation API; no language host needed) against the
# local grid in $TFGRID_LOCAL_DIR (default ~/.tfgrid/local).
#
# From the environment (the runner is thrown away between runs; nothing it holds must matter):
#   PULUMI_BACKEND_URL         required: where the state lives, outliving the runner (file://…, s3://…)
#   PULUMI_CONFIG_PASSPHRASE   required: the passphrase secrets provider's passphrase (a repository secret)
#   TFGRID_MNEMONIC            optional: the deploying account (set as the secret tfgrid:mnemonic); default the
#                              grid's funded user
#   STACK                      optional: the stack name (default ci); its Pulumi.<stack>.yaml is committed
#   PREVIEW_FILE               optional: where preview writes its text (default preview.txt in the current dir)
set -euo pipefail

usage() {
  echo "usage: $0 preview|up|destroy <project-dir>" >&2
  exit 2
}
[ $# -eq 2 ] || usage
verb=$1
project=$2
: "${PULUMI_BACKEND_URL:?set PULUMI_BACKEND_URL to a state backend that outlives the runner (file://… or s3://…)}"
: "${PULUMI_CONFIG_PASSPHRASE?set PULUMI_CONFIG_PASSPHRASE (the passphrase of the stack, from a repository secret)}"
stack=${STACK:-ci}
tfgrid="$(cd "$(dirname "$0")/../.." && pwd)/bin/tfgrid"
args=(local deploy "$project" --stack "$stack")
# On the command line of a short-lived process on the runner only; `tfgrid local deploy` stores it encrypted.
[ -n "${TFGRID_MNEMONIC:-}" ] && args+=(-c "tfgrid:mnemonic=$TFGRID_MNEMONIC")

case "$verb" in
  preview)
    out=${PREVIEW_FILE:-preview.txt}
    # The CLI's plan with its diff (stderr) and the steps (stdout), kept whole even when the preview fails.
    node "$tfgrid" "${args[@]}" --preview 2>&1 | tee "$out"
    ;;
  up)
    node "$tfgrid" "${args[@]}"
    ;;
  destroy)
    node "$tfgrid" "${args[@]}" --destroy
    ;;
  *) usage ;;
esac
