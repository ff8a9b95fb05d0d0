"""A chat as its members see it, and what spans a chat and its messages.

`chats` knows chats and memberships, `messages` knows messages and read state (and depends on `chats`); this
package sits on both: the chat shape (with the last message), the chat list and the chat endpoints, and the actions
that reach a chat's messages — deleting a chat with its history, opening a chat with a first message, and a user
leaving every conversation when their account goes.
"""
