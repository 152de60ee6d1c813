"""A TCP proxy that cuts one answer off: the network failing in the middle of a download."""
import socket
import threading


class CuttingProxy:
    """Forwards 127.0.0.1:<port> to `target`; the first answer longer than `after` bytes is cut
    off after `after` bytes (both connections closed), later ones pass whole."""

    def __init__(self, target: tuple[str, int], after: int):
        self.target, self.after, self.cut = target, after, False
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self):
        self.listener.close()

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        upstream = socket.create_connection(self.target)
        threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
        sent = 0
        try:
            while data := upstream.recv(65536):
                if not self.cut and sent + len(data) > self.after:
                    self.cut = True
                    client.sendall(data[:self.after - sent])
                    break
                client.sendall(data)
                sent += len(data)
        except OSError:
            pass
        finally:
            for end in (client, upstream):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                end.close()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
