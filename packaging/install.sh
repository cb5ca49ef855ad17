#!/bin/sh
# Install the NavTalk Desktop bundle this script sits in for the current user (no root):
#   - a launcher symlink:      $PREFIX/bin/navtalk-desktop
#   - the desktop entry:       $PREFIX/share/applications/ai.navtalk.Desktop.desktop
#   - the icons:               $PREFIX/share/icons/hicolor/*/apps/ai.navtalk.Desktop.*
#   - the AppStream metadata:  $PREFIX/share/metainfo/ai.navtalk.Desktop.metainfo.xml
# The bundle itself stays where it was extracted; move it first, then run this script.
#
# Usage: ./install.sh [--prefix DIR] [--uninstall]      (PREFIX defaults to ~/.local)
set -eu

APP_ID=ai.navtalk.Desktop
PREFIX=${PREFIX:-"$HOME/.local"}
UNINSTALL=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX=$2; shift 2 ;;
        --prefix=*) PREFIX=${1#--prefix=}; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
BIN="$HERE/navtalk-desktop"
SHARE="$PREFIX/share"
ICON_SIZES="16 24 32 48 64 128 256 512"

refresh_caches() {
    # Both are optional: desktops also notice new files by themselves, only later.
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$SHARE/applications" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" 2>/dev/null || true
    fi
}

if [ "$UNINSTALL" = 1 ]; then
    rm -f "$PREFIX/bin/navtalk-desktop" \
        "$SHARE/applications/$APP_ID.desktop" \
        "$SHARE/metainfo/$APP_ID.metainfo.xml" \
        "$SHARE/icons/hicolor/scalable/apps/$APP_ID.svg"
    for size in $ICON_SIZES; do
        rm -f "$SHARE/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
    done
    refresh_caches
    echo "NavTalk Desktop removed from $PREFIX (the bundle folder $HERE is left alone;"
    echo "settings and logs stay in your XDG config/data/state folders)."
    exit 0
fi

if [ ! -x "$BIN" ]; then
    echo "install.sh: $BIN is missing; run this script from inside the extracted bundle" >&2
    exit 1
fi

mkdir -p "$PREFIX/bin" "$SHARE/applications" "$SHARE/metainfo"
ln -sfn "$BIN" "$PREFIX/bin/navtalk-desktop"

for size in $ICON_SIZES; do
    mkdir -p "$SHARE/icons/hicolor/${size}x${size}/apps"
    cp "$HERE/share/icons/hicolor/${size}x${size}/apps/$APP_ID.png" \
        "$SHARE/icons/hicolor/${size}x${size}/apps/"
done
mkdir -p "$SHARE/icons/hicolor/scalable/apps"
cp "$HERE/share/icons/hicolor/scalable/apps/$APP_ID.svg" "$SHARE/icons/hicolor/scalable/apps/"
cp "$HERE/share/metainfo/$APP_ID.metainfo.xml" "$SHARE/metainfo/"

# Point Exec/TryExec at this bundle by absolute path, so the menu entry works even when
# $PREFIX/bin is not on the desktop session's PATH. Exec quotes it per the Desktop Entry
# spec (\ " ` $ escaped, then backslashes doubled by the string-escape rule).
sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }
exec_arg=$(printf '%s' "$BIN" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g')
try_exec=$(printf '%s' "$BIN" | sed -e 's/\\/\\\\/g')
sed -e "s|^Exec=navtalk-desktop|Exec=\"$(sed_escape "$exec_arg")\"|" \
    -e "s|^TryExec=navtalk-desktop\$|TryExec=$(sed_escape "$try_exec")|" \
    "$HERE/share/applications/$APP_ID.desktop" > "$SHARE/applications/$APP_ID.desktop"

refresh_caches
echo "NavTalk Desktop installed: menu entry, icons and $PREFIX/bin/navtalk-desktop -> $BIN"
case ":$PATH:" in
    *":$PREFIX/bin:"*) ;;
    *) echo "note: $PREFIX/bin is not on your PATH; add it to start navtalk-desktop from a terminal" ;;
esac
