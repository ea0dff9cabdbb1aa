"$HERE/../man/tapset-man.sh" --check "$HERE"/../tapsets/*.stp && echo "every tapset function has a doc comment"
