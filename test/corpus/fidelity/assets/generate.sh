#!/usr/bin/env bash
# Regenerates the binary assets of the fidelity corpus. Not run by tests: the
# outputs are committed. Needs Debian's ffmpeg, python3-fonttools and
# python3-brotli (apt-get install ffmpeg python3-fonttools python3-brotli),
# and the DejaVu fonts (fonts-dejavu-core).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p img media fonts
BOLD=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
Q="-hide_banner -loglevel error -y"

# A flat-colour PNG with an inner frame and a centred label: mk FILE W H COLOUR LABEL
mk() {
  ffmpeg $Q -f lavfi -i "color=c=$4:s=$2x$3,drawbox=x=6:y=6:w=iw-12:h=ih-12:color=white@0.6:t=3,drawtext=fontfile=$BOLD:text='$5':fontsize=$(( $3 / 5 )):fontcolor=white:x=(w-text_w)/2:y=(h-text_h)/2" \
    -frames:v 1 -pix_fmt rgb24 "$1"
}

# images.html: each srcset / image-set candidate is used by one element only
# (Chromium prefers a candidate already in its memory cache).
mk img/photo-200.png 200 120 '#c0392b' '200w'
mk img/photo-400.png 400 240 '#27ae60' '400w'
mk img/photo-800.png 800 480 '#2980b9' '800w'
mk img/alt-300.png 300 180 '#8e44ad' 'alt 300w'
mk img/alt-600.png 600 360 '#d35400' 'alt 600w'
mk img/sz-200.png 200 120 '#6a4c93' 'sizes 200w'
mk img/sz-400.png 400 240 '#1982c4' 'sizes 400w'
mk img/sz-800.png 800 480 '#8ac926' 'sizes 800w'
mk img/dpr-1x.png 160 100 '#2d6a4f' '1x'
mk img/dpr-2x.png 320 200 '#9d0208' '2x'
mk img/set-1x.png 150 90 '#2a9d8f' 'set 1x'
mk img/set-2x.png 300 180 '#e76f51' 'set 2x'
mk img/pic-wide.png 600 200 '#16a085' 'picture wide'
mk img/pic-narrow.png 300 200 '#7f8c8d' 'picture narrow'
mk img/pic-fallback.png 300 200 '#2c3e50' 'fallback'
mk img/rooted.png 200 100 '#5f0f40' 'root-relative'
mk img/dots.png 200 120 '#ff595e' 'dot segments'
mk img/bg-inline.png 300 180 '#3a86ff' 'inline bg'
mk img/bg-inline-2.png 300 180 '#fb5607' 'inline bg 2'
mk img/added.png 150 90 '#ff006e' 'added'
tmp=$(mktemp -d)
mk "$tmp/webp.png" 300 200 '#b5838d' 'webp source'
ffmpeg $Q -i "$tmp/webp.png" -c:v libwebp -lossless 1 img/pic-source.webp
mk "$tmp/jpg.png" 240 160 '#264653' 'JPEG'
ffmpeg $Q -i "$tmp/jpg.png" -q:v 3 img/photo.jpg
rm -rf "$tmp"
# Other pages.
mk img/poster.png 320 180 '#34495e' 'poster'
mk img/poster-2.png 320 180 '#e67e22' 'poster 2'
mk img/canvas-stamp.png 96 64 '#1abc9c' 'img'
mk img/svg-photo.png 280 220 '#0a9396' 'svg image'
mk img/child-photo.png 200 120 '#ae2012' 'child'
ffmpeg $Q -f lavfi -i "color=c=#f4d35e:s=16x16,drawbox=x=0:y=0:w=8:h=8:color=#ee964b:t=fill,drawbox=x=8:y=8:w=8:h=8:color=#ee964b:t=fill" \
  -frames:v 1 -pix_fmt rgb24 img/tile.png

# media.html: 2 s VP8 video (1 s red "A", 1 s blue "B", 10 fps) and WAV tones.
ffmpeg $Q \
  -f lavfi -i "color=c=#c0392b:s=320x180:r=10:d=1,drawtext=fontfile=$BOLD:text='A':fontsize=90:fontcolor=white:x=(w-text_w)/2:y=(h-text_h)/2" \
  -f lavfi -i "color=c=#2471a3:s=320x180:r=10:d=1,drawtext=fontfile=$BOLD:text='B':fontsize=90:fontcolor=white:x=(w-text_w)/2:y=(h-text_h)/2" \
  -filter_complex "[0:v][1:v]concat=n=2:v=1:a=0[v]" -map "[v]" -c:v libvpx -b:v 200k -g 5 -auto-alt-ref 0 -an -fflags +bitexact -flags:v +bitexact media/clip.webm
ffmpeg $Q -f lavfi -i "sine=frequency=440:sample_rate=8000:duration=2" -ac 1 -c:a pcm_u8 media/tone.wav
ffmpeg $Q -f lavfi -i "sine=frequency=660:sample_rate=8000:duration=5" -ac 1 -c:a pcm_u8 media/tone-5s.wav

# fonts.html: Latin subsets of DejaVu fonts (Bitstream Vera licence), renamed by
# the pages' @font-face rules to "Tandem ..." families.
D=/usr/share/fonts/truetype/dejavu
U="U+0020-007E,U+00A0-00FF,U+2013-2014,U+2018-201D,U+2026"
S="python3 -m fontTools.subset"
$S $D/DejaVuSansMono.ttf --unicodes="$U" --flavor=woff2 --output-file=fonts/tandem-mono-regular.woff2
$S $D/DejaVuSansMono-Bold.ttf --unicodes="$U" --flavor=woff2 --output-file=fonts/tandem-mono-bold.woff2
$S $D/DejaVuSerif-Italic.ttf --unicodes="$U" --flavor=woff --output-file=fonts/tandem-serif-italic.woff
$S $D/DejaVuSerifCondensed.ttf --unicodes="U+0020-007E" --output-file=fonts/tandem-serif-condensed.ttf
