#!/bin/sh
# Install the NavTalk Desktop bundle this script sits in for the current user (no root):
#   - a launcher symlink:      ~/.local/bin/navtalk-desktop
#   - the desktop entry:       $DATA/applications/ai.navtalk.Desktop.desktop
#   - the icons:               $DATA/icons/hicolor/*/{apps,mimetypes}/
#   - the AppStream metadata:  $DATA/metainfo/ai.navtalk.Desktop.metainfo.xml
#   - the file types:          $DATA/mime/packages/ai.navtalk.Desktop.xml (tool sets
#                              *.navtools.json and session recordings open in the app)
# DATA is $XDG_DATA_HOME (default ~/.local/share). --prefix DIR uses DIR/bin and DIR/share.
# The bundle itself stays where it was extracted; move it first, then run this script.
#
# Usage: ./install.sh [--prefix DIR] [--uninstall]
set -eu

APP_ID=ai.navtalk.Desktop
PREFIX=${PREFIX:-}
UNINSTALL=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX=$2; shift 2 ;;
        --prefix=*) PREFIX=${1#--prefix=}; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
BIN="$HERE/navtalk-desktop"
if [ -n "$PREFIX" ]; then
    BIN_DIR="$PREFIX/bin"
    SHARE="$PREFIX/share"
else
    BIN_DIR="$HOME/.local/bin"
    SHARE=${XDG_DATA_HOME:-"$HOME/.local/share"}
fi
ICON_SIZES="16 24 32 48 64 128 256 512"
MIME_ICONS="application-x-navtalk-tools+json application-x-navtalk-recording"
HICOLOR="$SHARE/icons/hicolor"

refresh_caches() {
    # All optional: desktops also notice new files by themselves, only later.
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$SHARE/applications" 2>/dev/null || true
    fi
    if command -v update-mime-database >/dev/null 2>&1 && [ -d "$SHARE/mime/packages" ]; then
        update-mime-database "$SHARE/mime" >/dev/null 2>&1 || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -d "$HICOLOR" ]; then
        gtk-update-icon-cache -q -t "$HICOLOR" 2>/dev/null || true
    fi
}

# Remove what refresh_caches generated when nothing but our files needed it, and the folders
# this script created that are empty now; caches other applications still use are rebuilt.
remove_caches() {
    if [ -d "$SHARE/mime/packages" ] && [ -z "$(ls -A "$SHARE/mime/packages")" ]; then
        rm -rf "$SHARE/mime"
    fi
    if [ -d "$HICOLOR" ] && [ -z "$(find "$HICOLOR" -type f ! -name icon-theme.cache \
            ! -name index.theme | head -n 1)" ]; then
        rm -f "$HICOLOR/icon-theme.cache"
    fi
    if [ -d "$SHARE/applications" ] && [ -z "$(find "$SHARE/applications" -type f \
            ! -name mimeinfo.cache | head -n 1)" ]; then
        rm -f "$SHARE/applications/mimeinfo.cache"
    fi
    for dir in "$SHARE/icons" "$SHARE/applications" "$SHARE/metainfo" "$BIN_DIR"; do
        [ -d "$dir" ] && find "$dir" -depth -type d -empty -exec rmdir {} \; 2>/dev/null || true
    done
}

if [ "$UNINSTALL" = 1 ]; then
    rm -f "$BIN_DIR/navtalk-desktop" \
        "$SHARE/applications/$APP_ID.desktop" \
        "$SHARE/metainfo/$APP_ID.metainfo.xml" \
        "$SHARE/mime/packages/$APP_ID.xml" \
        "$HICOLOR/scalable/apps/$APP_ID.svg"
    for size in $ICON_SIZES; do
        rm -f "$HICOLOR/${size}x${size}/apps/$APP_ID.png"
    done
    for icon in $MIME_ICONS; do
        rm -f "$HICOLOR/scalable/mimetypes/$icon.svg"
    done
    refresh_caches
    remove_caches
    echo "NavTalk Desktop removed from $SHARE and $BIN_DIR (the bundle folder $HERE is left"
    echo "alone; settings and logs stay in your XDG config/data/state folders)."
    exit 0
fi

if [ ! -x "$BIN" ]; then
    echo "install.sh: $BIN is missing; run this script from inside the extracted bundle" >&2
    exit 1
fi

mkdir -p "$BIN_DIR" "$SHARE/applications" "$SHARE/metainfo" "$SHARE/mime/packages"
ln -sfn "$BIN" "$BIN_DIR/navtalk-desktop"

for size in $ICON_SIZES; do
    mkdir -p "$HICOLOR/${size}x${size}/apps"
    cp "$HERE/share/icons/hicolor/${size}x${size}/apps/$APP_ID.png" \
        "$HICOLOR/${size}x${size}/apps/"
done
mkdir -p "$HICOLOR/scalable/apps" "$HICOLOR/scalable/mimetypes"
cp "$HERE/share/icons/hicolor/scalable/apps/$APP_ID.svg" "$HICOLOR/scalable/apps/"
for icon in $MIME_ICONS; do
    cp "$HERE/share/icons/hicolor/scalable/mimetypes/$icon.svg" "$HICOLOR/scalable/mimetypes/"
done
cp "$HERE/share/metainfo/$APP_ID.metainfo.xml" "$SHARE/metainfo/"
cp "$HERE/share/mime/packages/$APP_ID.xml" "$SHARE/mime/packages/"

# Point Exec/TryExec at this bundle by absolute path, so the menu entry works even when
# $BIN_DIR is not on the desktop session's PATH. Exec quotes it per the Desktop Entry
# spec (\ " ` $ escaped, then backslashes doubled by the string-escape rule).
sed_escape() { printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'; }
exec_arg=$(printf '%s' "$BIN" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g')
try_exec=$(printf '%s' "$BIN" | sed -e 's/\\/\\\\/g')
sed -e "s|^Exec=navtalk-desktop|Exec=\"$(sed_escape "$exec_arg")\"|" \
    -e "s|^TryExec=navtalk-desktop\$|TryExec=$(sed_escape "$try_exec")|" \
    "$HERE/share/applications/$APP_ID.desktop" > "$SHARE/applications/$APP_ID.desktop"

refresh_caches
echo "NavTalk Desktop installed: menu entry, icons and file types in $SHARE,"
echo "$BIN_DIR/navtalk-desktop -> $BIN"
case ":$PATH:" in
    *":$BIN_DIR:"*) ;;
    *) echo "note: $BIN_DIR is not on your PATH; add it to start navtalk-desktop from a terminal" ;;
esac
