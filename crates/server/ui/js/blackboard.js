// A blackboard (小黑板) timeline: posts, each followed by its replies. A post is either a user's
// post of `/chats/{chatid}/posts` or a bot's message sent without `post_id`; a reply is a
// message whose `post_id` points at a post. Replies to a post not (yet) listed get a
// placeholder post. Posts are ordered by their latest activity, oldest first. Each post offers
// "回复", which points the composer at it (controls.js handles the click).

import { h } from './dom.js';
import { rowFor } from './message-row.js';
import { state } from './state.js';
import { parseTime } from './time.js';

/** The newest time of a post and its replies, in milliseconds (0 when none is known). */
function latest(block) {
  const times = [block.at, ...block.replies.map((r) => parseTime(r.created_at))].filter(Boolean);
  return times.length ? Math.max(...times.map((t) => t.getTime())) : 0;
}

/** The posts of the open blackboard, with `messages` placed under them. */
export function blackboardBlocks(messages) {
  const blocks = new Map(); // post_id, or `message:ID` for a bot's post -> block
  for (const post of state.posts) {
    blocks.set(post.post_id, { post, message: null, replies: [], at: parseTime(post.created_at) });
  }
  for (const message of messages) {
    if (message.post_id) {
      if (!blocks.has(message.post_id)) {
        blocks.set(message.post_id, { post: { post_id: message.post_id }, message: null, replies: [], at: parseTime(message.created_at) });
      }
      const block = blocks.get(message.post_id);
      // The message that opened a user's post shows as the post, not as a reply to it.
      if (block.post.message_id === message.id) block.message = message;
      else block.replies.push(message);
    } else {
      blocks.set(`message:${message.id}`, { post: null, message, replies: [], at: parseTime(message.created_at) });
    }
  }
  return Array.from(blocks.values()).sort((a, b) => latest(a) - latest(b)).map(postSection);
}

function postSection(block) {
  const postId = block.post && block.post.post_id;
  const replying = Boolean(postId) && state.replyTo === postId;
  const head = block.post
    ? h('div', { class: 'post-head' },
      h('span', { class: 'post-tag', text: '帖子' }),
      h('span', { class: 'post-title', text: block.post.title || '' }),
      h('span', { class: 'post-id', text: postId }),
      h('button', {
        type: 'button', class: 'link-button post-reply', 'data-action': 'reply-post', 'data-testid': 'reply-post',
        dataset: { postId }, 'aria-pressed': String(replying), text: replying ? '正在回复' : '回复',
      }))
    : h('div', { class: 'post-head' }, h('span', { class: 'post-tag', text: '机器人发帖' }));
  return h('section', { class: `post${replying ? ' replying' : ''}`, 'data-testid': 'post', dataset: postId ? { postId } : {} },
    head,
    block.message ? rowFor(block.message) : null,
    block.replies.length ? h('div', { class: 'post-replies' },
      h('div', { class: 'post-replies-head', text: `${block.replies.length} 条回复` }),
      block.replies.map(rowFor)) : null);
}
