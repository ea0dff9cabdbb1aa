exec setpriv --reuid=4321 --regid=4322 --clear-groups sh -c :
