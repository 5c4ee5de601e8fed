#!/usr/bin/env bash
# Makes a private certificate authority and the certificates of mutual TLS for one cluster:
#
#   deploy/make-certs.sh DIR
#
# writes (DIR is created if missing; an existing file is never overwritten):
#   DIR/ca.pem                  the cluster's CA certificate: every node and client trusts it
#   DIR/ca.key                  the CA's private key: keep it offline, it signs new members
#   DIR/node.pem, DIR/node.key  a node's certificate (serverAuth + clientAuth) and key
#   DIR/client.pem, client.key  a client's certificate (clientAuth) and key
# Keys are ECDSA P-256, unencrypted, mode 0600. Validity: CA 3650 days, the others
# OOO_CERT_DAYS (default 825). CAF 0.17 checks no host name, only that the peer's certificate
# chains to the CA it was given: whoever holds a certificate of this CA gets in, so use one CA
# per cluster and guard ca.key.
#
# Run a node and talk to it (see README.md, "Security"):
#   ooo-storaged --tls-cert DIR/node.pem --tls-key DIR/node.key --tls-ca DIR/ca.pem
#   ooo-storage --tls-cert DIR/client.pem --tls-key DIR/client.key --tls-ca DIR/ca.pem stats
set -euo pipefail

usage() {
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
[ $# -eq 1 ] && [ -n "$1" ] && [ "${1#-}" = "$1" ] || usage
dir=$1
days=${OOO_CERT_DAYS:-825}
if ! [[ $days =~ ^[1-9][0-9]*$ ]]; then
  echo "error: OOO_CERT_DAYS must be a positive number of days, got '$days'" >&2
  exit 2
fi
if ! command -v openssl >/dev/null; then
  echo "error: the openssl command is missing (deploy/install-deps.sh installs it)" >&2
  exit 1
fi

outputs=(ca.pem ca.key node.pem node.key client.pem client.key)
mkdir -p "$dir"
for f in "${outputs[@]}"; do
  if [ -e "$dir/$f" ]; then
    echo "error: $dir/$f exists; remove the old files or choose another directory" >&2
    exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ooo-make-certs.XXXXXX")
trap 'rm -rf "$work"' EXIT
umask 077

new_key() { # file
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# The CA: self-signed, may sign certificates but not intermediate CAs.
new_key "$work/ca.key"
openssl req -x509 -new -key "$work/ca.key" -sha256 -days 3650 -subj "/CN=ooo-storage cluster CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$work/ca.pem"

sign() { # name common-name extended-key-usage
  local name=$1 cn=$2 eku=$3
  new_key "$work/$name.key"
  openssl req -new -key "$work/$name.key" -subj "/CN=$cn" -out "$work/$name.csr"
  cat >"$work/$name.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=$eku
subjectAltName=DNS:localhost,IP:127.0.0.1
EXT
  openssl x509 -req -in "$work/$name.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
    -CAcreateserial -sha256 -days "$days" -extfile "$work/$name.ext" \
    -out "$work/$name.pem" 2>/dev/null
  openssl verify -CAfile "$work/ca.pem" "$work/$name.pem" >/dev/null
}
# A node accepts connections (serverAuth) and may connect to other nodes (clientAuth).
sign node "ooo-storage node" serverAuth,clientAuth
sign client "ooo-storage client" clientAuth

for f in "${outputs[@]}"; do
  cp "$work/$f" "$dir/$f"
done
chmod 0600 "$dir"/*.key
chmod 0644 "$dir/ca.pem" "$dir/node.pem" "$dir/client.pem"
echo "wrote $dir/{ca.pem,ca.key,node.pem,node.key,client.pem,client.key}"
