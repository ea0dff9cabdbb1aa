echo hello-bstap > /dev/null; printf 'bstap\ttab\n' > /dev/null; printf 'bstap%060d\n' 7 > /dev/null
