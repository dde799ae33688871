#!/bin/sh
# Regenerates the demo's bundled sample (web/media/sample.mp4): 10 s of ffmpeg's
# testsrc2 at 640x360/30 fps with a frame counter, and a 440 Hz tone that beeps every
# second (for eyeballing A/V sync), fragmented every second as MSE players want it.
# Needs ffmpeg (libx264, aac).  The output is committed; nothing runs this script.
set -eu
cd "$(dirname "$0")"
ffmpeg -nostdin -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=640x360:rate=30:duration=10" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:beep_factor=4:duration=10" \
  -c:v libx264 -preset veryfast -crf 30 -g 30 -bf 2 -threads 1 -c:a aac -b:a 64k \
  -fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1 \
  -movflags frag_keyframe+empty_moov+default_base_moof sample.mp4
ls -l sample.mp4
