#!/bin/sh
# Copy a folder into backups/ with today's date in the name.
set -eu

source_dir=${1:?usage: backup.sh FOLDER}
stamp=$(date +%Y-%m-%d)
target="backups/$(basename "$source_dir")-$stamp"

mkdir -p backups
cp -r "$source_dir" "$target"
echo "Copied $source_dir to $target"
