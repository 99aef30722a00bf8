# SPDX-License-Identifier: MIT
# Doxygen's INPUT_FILTER for usernet's sources: turns the kernel-doc
# comments (STYLE.md) into Doxygen's syntax, line for line, so that line
# numbers stay right and the code itself is passed through untouched.
#
#   /**                                   /**
#    * name() - what it does               * \brief what it does
#    * @arg: what it is           ->       * \param arg what it is
#    * Return: what comes back             * \return what comes back
#
# In a struct, union, enum or typedef block "@member: text" becomes a list
# item instead. In the text, "@name" becomes \p name, "&struct x.y" and
# "&x.y" become x::y (a link), "%CONST" becomes CONST, and < > are escaped
# (header names such as <usernet/ports.h> are not HTML). A header's opening
# comment (the plain /* block before any code) becomes its \file
# documentation, without which Doxygen lists none of the header's functions.
#
# Some functions carry their kernel-doc both in a header and at their
# definition. The definition's wins (STYLE.md puts it there): given
# -v sources=LISTFILE, a file naming the .c files one per line, a header's
# block about a function that a .c file documents too becomes a plain
# comment, so Doxygen shows each function's text once.
#
# Usage: gawk -f kerneldoc2doxygen.awk FILE   (GNU awk: gensub, match arrays)

function inline_markup(s) {
	gsub(/</, "\\<", s)
	gsub(/>/, "\\>", s)
	s = gensub(/(^|[^\\])#([A-Za-z_])/, "\\1\\\\#\\2", "g", s)
	s = gensub(/&(struct |union |enum )?([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)/, "\\2::\\3", "g", s)
	s = gensub(/&(struct |union |enum )?([A-Za-z_][A-Za-z0-9_]*)/, "\\2", "g", s)
	s = gensub(/(^|[^A-Za-z0-9_\\])@([A-Za-z_][A-Za-z0-9_]*)/, "\\1\\\\p \\2", "g", s)
	s = gensub(/(^|[^A-Za-z0-9_])%([A-Za-z_][A-Za-z0-9_]*)/, "\\1\\2", "g", s)
	return s
}

BEGIN {
	if (sources != "") {
		while ((getline src < sources) > 0) {
			while ((getline l < src) > 0)
				if (match(l, /^[ \t]*\*[ \t]*([A-Za-z_][A-Za-z0-9_]*)\(\)[ \t]+-[ \t]/, m))
					in_source[m[1]] = 1
			close(src)
		}
		close(sources)
	}
}

FNR == 1 {
	is_header = FILENAME ~ /\.h$/
	intro_done = 0
	in_doc = 0
}

{
	line = $0
	if (is_header && !intro_done && !in_doc) {
		if (line ~ /^[ \t]*#/)
			intro_done = 1
		else if (line ~ /^\/\*[ \t]*$/) {
			intro_done = 1
			in_doc = 1
			first = 0
			kind = ""
			print "/** \\file"
			next
		}
	}
	if (!in_doc) {
		# A one-line /** ... */ comment: only the inline markup.
		if (line ~ /^[ \t]*\/\*\*.*\*\/[ \t]*$/) {
			print inline_markup(line)
			next
		}
		if (line ~ /^[ \t]*\/\*\*[ \t]*$/) {
			in_doc = 1
			first = 1
			kind = ""
			# Printed with the block's first line, which decides it.
			opening = line
			next
		}
		print line
		next
	}
	if (line ~ /\*\//) {
		if (first)
			print opening
		in_doc = 0
		print line
		next
	}
	if (first) {
		first = 0
		if (match(line, /^([ \t]*\*[ \t]*)([A-Za-z_][A-Za-z0-9_]*)\(\)[ \t]+-[ \t]+(.*)$/, m)) {
			if (is_header && (m[2] in in_source)) {
				sub(/\/\*\*/, "/*", opening)
				print opening
				print line
				in_doc = 0
				next
			}
			print opening
			kind = "func"
			print m[1] "\\brief " inline_markup(m[3])
			next
		}
		print opening
		if (match(line, /^([ \t]*\*[ \t]*)(struct|union|enum|typedef)[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]+-[ \t]+(.*)$/, m)) {
			kind = "type"
			print m[1] "\\brief " inline_markup(m[4])
			next
		}
	}
	if (match(line, /^([ \t]*\*[ \t]*)@([A-Za-z_][A-Za-z0-9_]*):[ \t]*(.*)$/, m)) {
		if (kind == "func")
			print m[1] "\\param " m[2] " " inline_markup(m[3])
		else
			print m[1] "- \\c " m[2] ": " inline_markup(m[3])
		next
	}
	if (match(line, /^([ \t]*\*[ \t]*)Return:[ \t]*(.*)$/, m)) {
		print m[1] "\\return " inline_markup(m[2])
		next
	}
	print inline_markup(line)
}
